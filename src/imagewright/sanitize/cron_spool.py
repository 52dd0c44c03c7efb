from __future__ import annotations

from pathlib import PurePosixPath

from imagewright.sanitize import EXTENDED, SanitizeContext, operation

SPOOLS = ("/var/spool/cron", "/var/spool/atjobs", "/var/spool/atspool", "/var/spool/at")
SEQUENCE_FILES = ("/var/spool/cron/atjobs/.SEQ", "/var/spool/atjobs/.SEQ", "/var/spool/at/.SEQ")
SEQUENCE_RESET = b"00000\n"


def _jobs(ctx: SanitizeContext) -> list[PurePosixPath]:
    return sorted(
        entry.path
        for spool in SPOOLS
        if ctx.image.is_dir(spool)
        for entry in ctx.image.walk(spool)
        if not entry.is_dir and entry.path.name != ".SEQ"
    )


def _left(ctx: SanitizeContext) -> list[PurePosixPath]:
    counters = [
        PurePosixPath(path)
        for path in SEQUENCE_FILES
        if ctx.image.is_file(path) and ctx.image.read_bytes(path) != SEQUENCE_RESET
    ]
    return _jobs(ctx) + counters


@operation(
    "cron-spool",
    profiles=EXTENDED,
    removes="users' cron and at jobs; the at sequence files are reset to 00000",
    verified_by=_left,
)
def cron_spool(ctx: SanitizeContext) -> None:
    """Remove users' scheduled jobs."""
    ctx.ops.announce("/var/spool/cron/*, /var/spool/at*/*")
    for path in _jobs(ctx):
        ctx.ops.remove(path)
    for counter in SEQUENCE_FILES:
        if ctx.image.is_file(counter):
            ctx.ops.write(counter, SEQUENCE_RESET, mode=0o600)

from __future__ import annotations

from pathlib import PurePosixPath

from imagewright.sanitize import EXTENDED, SanitizeContext, operation

# Red Hat family, then Debian family: the accounting folder and the file kept empty.
ACCOUNTING = ("/var/account", "/var/log/account")


def _left(ctx: SanitizeContext) -> list[PurePosixPath]:
    left = []
    for folder in ACCOUNTING:
        for path in ctx.glob(f"{folder}/pacct*"):
            if path.name != "pacct" or not ctx.image.is_file(path) or ctx.image.read_bytes(path):
                left.append(path)
    return left


@operation(
    "pacct-log",
    profiles=EXTENDED,
    removes="process accounting logs pacct* in /var/account and /var/log/account "
    "(an empty pacct is left)",
    verified_by=_left,
)
def pacct_log(ctx: SanitizeContext) -> None:
    """Remove the process accounting records of the build."""
    for folder in ACCOUNTING:
        if not ctx.image.is_dir(folder):
            continue
        ctx.ops.announce(f"{folder}/pacct*")
        for path in ctx.glob(f"{folder}/pacct*"):
            if path.name == "pacct" and ctx.image.is_file(path):
                ctx.ops.truncate(path)
            else:
                ctx.ops.remove(path)
        if not ctx.image.exists(f"{folder}/pacct"):
            ctx.ops.write(f"{folder}/pacct", b"", mode=0o600)

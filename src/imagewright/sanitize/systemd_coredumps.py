from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = ("/var/lib/systemd/coredump/*",)


@operation(
    "systemd-coredumps",
    profiles=EXTENDED,
    removes="/var/lib/systemd/coredump/*",
    verified_by=none_left(*PATTERNS),
)
def systemd_coredumps(ctx: SanitizeContext) -> None:
    """Remove systemd core dumps: they can hold keys and passwords."""
    ctx.delete(*PATTERNS)

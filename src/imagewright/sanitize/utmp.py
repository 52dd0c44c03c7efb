from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = ("/var/run/utmp",)


@operation(
    "utmp",
    profiles=EXTENDED,
    removes="/var/run/utmp",
    verified_by=none_left(*PATTERNS),
)
def utmp(ctx: SanitizeContext) -> None:
    """Remove the login records of running sessions."""
    ctx.delete(*PATTERNS)

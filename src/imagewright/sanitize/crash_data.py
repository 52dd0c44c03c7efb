from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = (
    "/var/crash/*",
    "/var/log/dump/*",
)


@operation(
    "crash-data",
    profiles=EXTENDED,
    removes="kdump output /var/crash/* and /var/log/dump/*",
    verified_by=none_left(*PATTERNS),
)
def crash_data(ctx: SanitizeContext) -> None:
    """Remove kernel crash dumps."""
    ctx.delete(*PATTERNS)

from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = ("/var/spool/abrt/*",)


@operation(
    "abrt-data",
    profiles=EXTENDED,
    removes="ABRT crash reports /var/spool/abrt/*",
    verified_by=none_left(*PATTERNS),
)
def abrt_data(ctx: SanitizeContext) -> None:
    """Remove ABRT crash reports."""
    ctx.delete(*PATTERNS)

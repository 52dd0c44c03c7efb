from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = ("/var/lib/yum/uuid",)


@operation(
    "yum-uuid",
    profiles=EXTENDED,
    removes="/var/lib/yum/uuid",
    verified_by=none_left(*PATTERNS),
)
def yum_uuid(ctx: SanitizeContext) -> None:
    """Remove yum's instance UUID."""
    ctx.delete(*PATTERNS)

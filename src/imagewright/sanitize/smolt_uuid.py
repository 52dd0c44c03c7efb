from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = (
    "/etc/sysconfig/hw-uuid",
    "/etc/smolt/uuid",
    "/etc/smolt/hw-uuid",
)


@operation(
    "smolt-uuid",
    profiles=EXTENDED,
    removes="/etc/sysconfig/hw-uuid, /etc/smolt/uuid, /etc/smolt/hw-uuid",
    verified_by=none_left(*PATTERNS),
)
def smolt_uuid(ctx: SanitizeContext) -> None:
    """Remove the Smolt hardware UUID."""
    ctx.delete(*PATTERNS)

from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = (
    "/etc/pki/consumer/*",
    "/etc/pki/entitlement/*",
)


@operation(
    "rh-subscription-manager",
    profiles=EXTENDED,
    removes="/etc/pki/consumer/*, /etc/pki/entitlement/*",
    verified_by=none_left(*PATTERNS),
)
def rh_subscription_manager(ctx: SanitizeContext) -> None:
    """Remove Red Hat subscription identity and entitlements."""
    ctx.delete(*PATTERNS)

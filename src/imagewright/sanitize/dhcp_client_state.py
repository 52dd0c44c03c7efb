from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = (
    "/var/lib/dhclient/*",
    "/var/lib/dhcp/*",
)


@operation(
    "dhcp-client-state",
    profiles=EXTENDED,
    removes="/var/lib/dhclient/* and /var/lib/dhcp/*",
    verified_by=none_left(*PATTERNS),
)
def dhcp_client_state(ctx: SanitizeContext) -> None:
    """Remove every DHCP client's leases."""
    ctx.delete(*PATTERNS)

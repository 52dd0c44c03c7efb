from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = ("/var/lib/dhcpd/*",)


@operation(
    "dhcp-server-state",
    profiles=EXTENDED,
    removes="/var/lib/dhcpd/*",
    verified_by=none_left(*PATTERNS),
)
def dhcp_server_state(ctx: SanitizeContext) -> None:
    """Remove DHCP server leases."""
    ctx.delete(*PATTERNS)

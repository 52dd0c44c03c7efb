from __future__ import annotations

from imagewright.sanitize import SEED, SanitizeContext, none_left, operation

PATTERN = "/var/lib/dhclient/dhclient*.lease"


@operation(
    "dhclient-leases",
    profiles=SEED,
    removes="DHCP client leases /var/lib/dhclient/dhclient*.lease",
    verified_by=none_left(PATTERN),
    order=80,
)
def dhclient_leases(ctx: SanitizeContext) -> None:
    """Remove the DHCP leases the build instance acquired."""
    ctx.delete(PATTERN)

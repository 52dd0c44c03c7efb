from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, ifcfg_lines, operation

PREFIXES = ("HOSTNAME=", "DHCP_HOSTNAME=")


@operation(
    "net-hostname",
    profiles=EXTENDED,
    removes="HOSTNAME= and DHCP_HOSTNAME= lines in /etc/sysconfig/network-scripts/ifcfg-*",
    verified_by=ifcfg_lines.check(PREFIXES),
)
def net_hostname(ctx: SanitizeContext) -> None:
    """Stop interface files from sending the build host's name."""
    ifcfg_lines.drop_lines(ctx, PREFIXES)

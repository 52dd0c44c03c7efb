from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, ifcfg_lines, operation

PREFIXES = ("HWADDR=",)


@operation(
    "net-hwaddr",
    profiles=EXTENDED,
    removes="HWADDR= lines in /etc/sysconfig/network-scripts/ifcfg-*",
    verified_by=ifcfg_lines.check(PREFIXES),
)
def net_hwaddr(ctx: SanitizeContext) -> None:
    """Stop interface files from pinning the build host's MAC addresses."""
    ifcfg_lines.drop_lines(ctx, PREFIXES)

from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = ("/etc/NetworkManager/system-connections/*.nmconnection",)


@operation(
    "net-nmconn",
    profiles=EXTENDED,
    removes="/etc/NetworkManager/system-connections/*.nmconnection",
    verified_by=none_left(*PATTERNS),
)
def net_nmconn(ctx: SanitizeContext) -> None:
    """Remove NetworkManager connection profiles of the build host."""
    ctx.delete(*PATTERNS)

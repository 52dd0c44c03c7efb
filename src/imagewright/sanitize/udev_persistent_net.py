from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = ("/etc/udev/rules.d/70-persistent-net.rules",)


@operation(
    "udev-persistent-net",
    profiles=EXTENDED,
    removes="/etc/udev/rules.d/70-persistent-net.rules",
    verified_by=none_left(*PATTERNS),
)
def udev_persistent_net(ctx: SanitizeContext) -> None:
    """Remove udev's rules that pin interface names to the build host's MACs."""
    ctx.delete(*PATTERNS)

from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = (
    "/var/run/blkid.tab",
    "/var/run/blkid.tab.old",
    "/etc/blkid/blkid.tab",
    "/etc/blkid/blkid.tab.old",
    "/etc/blkid.tab",
    "/etc/blkid.tab.old",
    "/dev/.blkid.tab",
    "/dev/.blkid.tab.old",
)


@operation(
    "blkid-tab",
    profiles=EXTENDED,
    removes="blkid caches in /var/run, /etc/blkid, /etc and /dev",
    verified_by=none_left(*PATTERNS),
)
def blkid_tab(ctx: SanitizeContext) -> None:
    """Remove the blkid cache of the build host's devices."""
    ctx.delete(*PATTERNS)

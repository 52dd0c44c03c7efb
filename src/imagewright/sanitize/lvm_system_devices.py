from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = ("/etc/lvm/devices/system.devices",)


@operation(
    "lvm-system-devices",
    profiles=EXTENDED,
    removes="/etc/lvm/devices/system.devices",
    verified_by=none_left(*PATTERNS),
)
def lvm_system_devices(ctx: SanitizeContext) -> None:
    """Remove the LVM devices file that pins the build host's disks."""
    ctx.delete(*PATTERNS)

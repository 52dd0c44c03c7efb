from __future__ import annotations

import re
from pathlib import PurePosixPath

from imagewright.sanitize import SEED, Profile, SanitizeContext, operation

MACHINE_ID = PurePosixPath("/etc/machine-id")
DBUS_MACHINE_ID = PurePosixPath("/var/lib/dbus/machine-id")
UNINITIALIZED = b"uninitialized\n"
FIRST_BOOT_SYSTEMD = 247  # the first systemd that treats "uninitialized" as a first boot
SYSTEMD_LIBRARIES = (
    "/usr/lib/systemd/libsystemd-shared-*.so",
    "/usr/lib/*/systemd/libsystemd-shared-*.so",
    "/usr/lib64/systemd/libsystemd-shared-*.so",
    "/lib/systemd/libsystemd-shared-*.so",
)


def systemd_version(ctx: SanitizeContext) -> int | None:
    """The major version of the image's systemd, from its shared library's name."""
    for pattern in SYSTEMD_LIBRARIES:
        for path in ctx.glob(pattern):
            found = re.match(r"libsystemd-shared-(\d+)", path.name)
            if found:
                return int(found.group(1))
    return None


def wanted_content(ctx: SanitizeContext) -> bytes:
    """Empty (the seed; systemd older than 247 or none), or 'uninitialized' (extended profile
    on systemd 247+: the next boot is a first boot and generates a fresh ID)."""
    if ctx.profile is Profile.extended:
        version = systemd_version(ctx)
        if version is not None and version >= FIRST_BOOT_SYSTEMD:
            return UNINITIALIZED
    return b""


def _left(ctx: SanitizeContext) -> list[PurePosixPath]:
    left = []
    if not ctx.image.is_file(MACHINE_ID) or ctx.image.read_bytes(MACHINE_ID) != wanted_content(ctx):
        left.append(MACHINE_ID)
    if ctx.image.is_file(DBUS_MACHINE_ID) and (
        ctx.profile is Profile.extended or ctx.image.read_bytes(DBUS_MACHINE_ID)
    ):
        left.append(DBUS_MACHINE_ID)
    return left


@operation(
    "machine-id",
    profiles=SEED,
    removes="the machine ID: /etc/machine-id emptied (extended on systemd 247+: "
    "'uninitialized'), /var/lib/dbus/machine-id emptied (extended: removed)",
    verified_by=_left,
    order=120,
)
def machine_id(ctx: SanitizeContext) -> None:
    """Reset the machine ID so every instance generates its own on first boot.

    Never writes an ID: a fixed ID baked into an image is shared by every clone. A regular
    /var/lib/dbus/machine-id would be copied back by systemd, so the extended profile removes
    it; a symlink (Debian points it at /etc/machine-id) is left alone.
    """
    if ctx.image.is_file(DBUS_MACHINE_ID):
        if ctx.profile is Profile.extended:
            ctx.ops.remove(DBUS_MACHINE_ID)
        else:
            ctx.ops.truncate(DBUS_MACHINE_ID)
    content = wanted_content(ctx)
    ctx.ops.write(MACHINE_ID, content, mode=0o444)

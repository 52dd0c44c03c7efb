"""GRUB on a disk made by `images.disk.make_disk`, from this host's GRUB packages.

BIOS: what `grub-install --target=i386-pc` does (grub-mkimage, then grub-bios-setup into the
bios_grub partition). UEFI: a GRUB image at the ESP's removable-media path EFI/BOOT/BOOTX64.EFI
(no NVRAM entry needed), written with mtools. The configuration boots the `/vmlinuz` and
`/initrd.img` links the Debian kernel packages maintain, so kernel updates inside the image keep
booting, with the console on tty0 and ttyS0 (the serial console is what the boot test reads).
"""

from __future__ import annotations

import logging
import re
import shutil
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from imagewright.config.recipe import BootMode
from imagewright.errors import BadTargetError, MissingToolError
from imagewright.mounts import MountStack, loop_attach, mount
from imagewright.paths import ImageRoot
from imagewright.run import require_tool, run

if TYPE_CHECKING:
    from imagewright.images.disk import DiskLayout, PartitionLayout

log = logging.getLogger(__name__)

GRUB_LIBRARY = Path("/usr/lib/grub")
# Built into the core image; everything else loads from /boot/grub/<platform> on the root.
BIOS_CORE_MODULES = (
    "biosdisk",
    "part_gpt",
    "part_msdos",
    "ext2",
    "xfs",
    "search",
    "search_fs_uuid",
)
EFI_CORE_MODULES = ("part_gpt", "part_msdos", "ext2", "xfs", "fat", "search", "search_fs_uuid")
KERNEL_COMMAND_LINE = "ro console=tty0 console=ttyS0,115200n8"
NETWORK_CONFIGURATION = """\
# DHCP on every wired interface (written by imagewright for the base image).
[Match]
Name=en* eth*

[Network]
DHCP=yes
"""


def grub_configuration(root_uuid: str, kernel: str, initrd: str | None) -> str:
    lines = [
        "set timeout=1",
        "serial --unit=0 --speed=115200",
        "terminal_input console serial",
        "terminal_output console serial",
        "menuentry 'Linux' {",
        f"    search --no-floppy --fs-uuid --set=root {root_uuid}",
        f"    linux {kernel} root=UUID={root_uuid} {KERNEL_COMMAND_LINE}",
    ]
    if initrd:
        lines.append(f"    initrd {initrd}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def find_kernel(image: ImageRoot) -> tuple[str, str | None]:
    """The kernel and initrd to boot, as paths inside the image (its links first)."""
    if image.exists("/vmlinuz"):
        return "/vmlinuz", "/initrd.img" if image.exists("/initrd.img") else None
    if image.exists("/boot/vmlinuz"):
        return "/boot/vmlinuz", "/boot/initrd.img" if image.exists("/boot/initrd.img") else None
    kernels = sorted(image.glob("/boot/vmlinuz-*"), key=_version_key)
    if not kernels:
        raise BadTargetError(
            "the image has no kernel (/vmlinuz or /boot/vmlinuz-*)",
            hint="a Debian parent image gets one automatically; install linux-image-* in others",
        )
    kernel = kernels[-1]
    initrd = kernel.parent / kernel.name.replace("vmlinuz", "initrd.img", 1)
    return str(kernel), str(initrd) if image.exists(initrd) else None


def _version_key(path: PurePosixPath) -> list[tuple[int, str]]:
    return [
        (int(part), "") if part.isdigit() else (0, part) for part in re.split(r"(\d+)", path.name)
    ]


def _enable_networkd(image: ImageRoot) -> None:
    image.write_text("/etc/systemd/network/80-dhcp.network", NETWORK_CONFIGURATION)
    wants = image.resolve("/etc/systemd/system/multi-user.target.wants", follow_final=True)
    wants.mkdir(parents=True, exist_ok=True)
    link = wants / "systemd-networkd.service"
    if not link.is_symlink() and image.exists("/lib/systemd/system/systemd-networkd.service"):
        link.symlink_to("/lib/systemd/system/systemd-networkd.service")


def _early_configuration(root_uuid: str) -> str:
    return f"search --no-floppy --fs-uuid --set=root {root_uuid}\nset prefix=($root)/boot/grub\n"


def _install_modules(image: ImageRoot, platform: str) -> None:
    """GRUB's modules for platform into /boot/grub/<platform>, where the prefix points."""
    destination = image.resolve(f"/boot/grub/{platform}", follow_final=False)
    if destination.is_symlink():
        destination.unlink()
    shutil.copytree(GRUB_LIBRARY / platform, destination, dirs_exist_ok=True)


def _make_core_image(platform: str, output: Path, early: Path, modules: tuple[str, ...]) -> None:
    run(
        [require_tool("grub-mkimage"), "-O", platform, "-o", output, "-c", early,
         "-p", "/boot/grub", *modules],
        timeout=120,
    )  # fmt: skip


def install_bootloader(
    layout: DiskLayout, boot: BootMode, *, work_dir: Path, configure_network: bool = False
) -> None:
    """Install GRUB and its configuration on the disk layout describes.

    Works on the disk file itself (no partition devices: the kernel here may not create them):
    each file system is attached by offset, and the BIOS boot code is embedded by
    grub-bios-setup through a device map naming the file.
    """
    root = layout.root
    if root.uuid is None:
        raise BadTargetError(f"{layout.path} has no root file system with a UUID to boot")
    platform = "i386-pc" if boot == BootMode.bios else "x86_64-efi"
    if not (GRUB_LIBRARY / platform).is_dir():
        package = "grub-pc-bin" if boot == BootMode.bios else "grub-efi-amd64-bin"
        raise MissingToolError(
            f"GRUB for {platform} is not installed",
            hint=f"install it with: apt-get install {package}",
        )
    staging = work_dir / f"grub-{platform}"
    staging.mkdir(parents=True, exist_ok=True)
    early = staging / "early.cfg"
    early.write_text(_early_configuration(root.uuid))
    with MountStack() as stack:
        image = ImageRoot(_mount_region(stack, layout.path, root, work_dir / "bootloader-root"))
        kernel, initrd = find_kernel(image)
        if configure_network:
            _enable_networkd(image)
        image.write_text("/boot/grub/grub.cfg", grub_configuration(root.uuid, kernel, initrd))
        _install_modules(image, platform)
        if boot == BootMode.bios:
            # grub-bios-setup finds the root through the folder holding core.img: the image's.
            modules = image.resolve(f"/boot/grub/{platform}")
            _make_core_image(platform, modules / "core.img", early, BIOS_CORE_MODULES)
            device_map = staging / "device.map"
            device_map.write_text(f"(hd0) {layout.path}\n")
            run(
                [GRUB_LIBRARY / platform / "grub-bios-setup", "--skip-fs-probe",
                 f"--directory={modules}", f"--device-map={device_map}", layout.path],
                timeout=120,
            )  # fmt: skip
    if boot == BootMode.uefi:
        esp = layout.esp
        if esp is None:
            raise BadTargetError(f"{layout.path} has no EFI system partition")
        loader = staging / "BOOTX64.EFI"
        _make_core_image(platform, loader, early, EFI_CORE_MODULES)
        _copy_to_esp(layout.path, esp.offset, loader, "::/EFI/BOOT/BOOTX64.EFI")
    log.info("Installed GRUB (%s) booting %s", boot.value, kernel)


def _copy_to_esp(disk: Path, offset: int, source: Path, destination: str) -> None:
    """Write a file into the FAT file system at offset with mtools: no mount needed (this
    host's kernel may lack vfat)."""
    image = f"{disk}@@{offset}"
    folders = destination.rsplit("/", 1)[0]
    parts = folders.removeprefix("::/").split("/")
    for depth in range(1, len(parts) + 1):
        folder = "::/" + "/".join(parts[:depth])
        run([require_tool("mmd"), "-i", image, folder], check=False)  # may already exist
    run([require_tool("mcopy"), "-o", "-i", image, source, destination])


def _mount_region(stack: MountStack, disk: Path, region: PartitionLayout, target: Path) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    device = stack.enter_context(
        loop_attach(disk, partitions=False, offset=region.offset, size=region.size)
    )
    options = ("nouuid",) if region.fstype == "xfs" else ()
    return stack.enter_context(mount(device, target, fstype=region.fstype, options=options))

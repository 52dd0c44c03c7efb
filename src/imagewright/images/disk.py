"""Making sparse raw disk images from a tree, and exporting them to other formats.

The root file system is written without mounting where mkfs can copy a tree faithfully
(`mkfs.ext4 -d`); xfs has no such option and btrfs-progs' `--rootdir` loses device numbers and
holes, so those are filled through a loop mount with `cp -a --sparse=always`.
"""

from __future__ import annotations

import logging
import os
import uuid as uuidlib
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from imagewright.errors import CommandError, ConfigError, ImagewrightError
from imagewright.images.fstab import FstabEntry, parse_fstab
from imagewright.images.scratch import scratch_dir
from imagewright.mounts import loop_attach, mount
from imagewright.paths import ImageRoot
from imagewright.run import base_environment, require_tool, run

log = logging.getLogger(__name__)

Fstype = Literal["ext4", "xfs", "btrfs"]
Table = Literal["gpt", "mbr", "none"]
Boot = Literal["none", "bios", "uefi"]
ExportFormat = Literal["qcow2", "vmdk", "vhd", "raw"]

MIB = 1024 * 1024
ALIGN = MIB
BIOS_GRUB_SIZE = MIB
ESP_SIZE = 128 * MIB
# Smallest file systems mkfs accepts (xfs since xfsprogs 5.19 refuses below 300 MiB).
MINIMUM_SIZE = {"ext4": 32 * MIB, "xfs": 300 * MIB, "btrfs": 256 * MIB}
HEADROOM = 256 * MIB

GPT_TYPES = {
    "bios_grub": "21686148-6449-6E6F-744E-656564454649",
    "esp": "C12A7328-F81F-11D2-BA4B-00A0C93EC93B",
    "root": "4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709",  # Linux root (x86-64), discoverable
}
MBR_TYPES = {"esp": "ef", "root": "83"}
DISK_FILESYSTEMS = {"ext2", "ext3", "ext4", "xfs", "btrfs", "vfat", "swap", "auto"}
QEMU_FORMATS = {"qcow2": "qcow2", "vmdk": "vmdk", "vhd": "vpc"}


@dataclass(frozen=True, slots=True)
class PartitionLayout:
    role: Literal["bios_grub", "esp", "root"]
    number: int | None  # None when the disk has no partition table
    offset: int  # bytes
    size: int  # bytes
    fstype: str | None = None
    uuid: str | None = None
    label: str | None = None


@dataclass(frozen=True, slots=True)
class DiskLayout:
    path: Path
    size: int
    table: Table
    partitions: tuple[PartitionLayout, ...]

    @property
    def root(self) -> PartitionLayout:
        return next(p for p in self.partitions if p.role == "root")

    @property
    def esp(self) -> PartitionLayout | None:
        return next((p for p in self.partitions if p.role == "esp"), None)


def make_disk(
    tree: Path,
    output: Path,
    *,
    fstype: Fstype = "ext4",
    size_bytes: int | None = None,
    table: Table = "gpt",
    boot: Boot = "none",
    label: str | None = None,
    uuid: str | None = None,
    write_fstab: bool = True,
    work_dir: Path | None = None,
) -> DiskLayout:
    """Write a sparse raw disk image whose root file system is a faithful copy of tree."""
    if not tree.is_dir():
        raise ConfigError(f"{tree} is not a directory")
    _refuse_virtual_mounts(tree)
    if boot != "none" and table == "none":
        raise ConfigError(f"boot={boot} needs a partition table (table=gpt or table=mbr)")
    root_uuid = uuid or str(uuidlib.uuid4())
    layout = _plan(output, tree, fstype, size_bytes, table, boot, label, root_uuid)
    partial = output.with_name(f".{output.name}.imagewright-partial")
    partial.unlink(missing_ok=True)
    try:
        with open(partial, "wb") as handle:
            handle.truncate(layout.size)
        if table != "none":
            _write_table(partial, layout)
        with ExitStack() as stack:
            scratch = stack.enter_context(scratch_dir(work_dir))
            devices = {
                p.role: stack.enter_context(
                    loop_attach(partial, partitions=False, offset=p.offset, size=p.size)
                )
                for p in layout.partitions
                if p.fstype is not None
            }
            _make_root(tree, devices["root"], layout.root, scratch)
            if layout.esp is not None:
                _make_esp(devices["esp"], layout.esp)
            if write_fstab:
                _write_fstab(devices["root"], layout, scratch)
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return layout


# Mounted below a tree while commands run in it; never content of the image.
VIRTUAL_FILESYSTEMS = {
    "proc", "sysfs", "devtmpfs", "devpts", "tmpfs", "cgroup", "cgroup2", "mqueue", "securityfs",
    "debugfs", "tracefs", "binfmt_misc", "fusectl", "configfs", "pstore", "efivarfs", "bpf",
    "hugetlbfs", "autofs",
}  # fmt: skip


def _refuse_virtual_mounts(tree: Path) -> None:
    """File systems mounted below tree are copied with it; /proc, /dev and friends must not be."""
    prefix = str(tree.resolve()).rstrip("/") + "/"
    with Path("/proc/self/mounts").open() as mounts:
        for line in mounts:
            _, point, fstype, *_ = line.split()
            if point.startswith(prefix) and fstype in VIRTUAL_FILESYSTEMS:
                raise ImagewrightError(
                    f"{point} ({fstype}) is mounted inside {tree}; it cannot be copied to a disk",
                    hint="unmount it first (a command running in the tree may still hold it)",
                )


def _tree_bytes(tree: Path) -> int:
    result = run(["du", "--summarize", "--block-size=1", tree])
    return int(result.stdout.split()[0])


def _round_up(value: int, unit: int = ALIGN) -> int:
    return -(-value // unit) * unit


def _plan(
    output: Path,
    tree: Path,
    fstype: Fstype,
    size_bytes: int | None,
    table: Table,
    boot: Boot,
    label: str | None,
    root_uuid: str,
) -> DiskLayout:
    partitions: list[PartitionLayout] = []
    offset = ALIGN if table != "none" else 0
    if table == "gpt" and boot == "bios":
        partitions.append(PartitionLayout("bios_grub", len(partitions) + 1, offset, BIOS_GRUB_SIZE))
        offset += BIOS_GRUB_SIZE
    if boot == "uefi":
        esp_uuid = os.urandom(4).hex().upper()
        partitions.append(
            PartitionLayout(
                "esp",
                len(partitions) + 1,
                offset,
                ESP_SIZE,
                "vfat",
                f"{esp_uuid[:4]}-{esp_uuid[4:]}",
            )
        )
        offset += ESP_SIZE
    tail = ALIGN if table == "gpt" else 0  # the backup GPT lives in the last sectors
    if size_bytes is None:
        needed = int(_tree_bytes(tree) * 1.25) + HEADROOM
        root_size = _round_up(max(needed, MINIMUM_SIZE[fstype]))
        size = offset + root_size + tail
    else:
        size = size_bytes
        root_size = (size - offset - tail) // ALIGN * ALIGN
        if root_size < MINIMUM_SIZE[fstype]:
            raise ConfigError(
                f"a {size} byte disk leaves {max(root_size, 0)} bytes for the root file system; "
                f"{fstype} needs at least {MINIMUM_SIZE[fstype]}"
            )
    number = len(partitions) + 1 if table != "none" else None
    partitions.append(PartitionLayout("root", number, offset, root_size, fstype, root_uuid, label))
    return DiskLayout(output, size, table, tuple(partitions))


def _write_table(disk: Path, layout: DiskLayout) -> None:
    lines = ["label: gpt" if layout.table == "gpt" else "label: dos", "unit: sectors"]
    for p in layout.partitions:
        line = f"start={p.offset // 512}, size={p.size // 512}"
        if layout.table == "gpt":
            line += f', type={GPT_TYPES[p.role]}, name="{p.role}"'
        else:
            line += f", type={MBR_TYPES[p.role]}" + (", bootable" if p.role == "root" else "")
        lines.append(line)
    run(
        [require_tool("sfdisk"), "--quiet", "--no-reread", "--no-tell-kernel", disk],
        input="\n".join(lines) + "\n",
    )


def mkfs_argv(
    fstype: str,
    device: Path,
    *,
    uuid: str | None,
    label: str | None,
    options: Sequence[str] = (),
) -> list[str]:
    """The mkfs command making an empty fstype on device with the given UUID and label.

    options: extra mkfs options (e.g. the features of a file system being re-made).
    """
    if fstype in ("ext2", "ext3", "ext4"):
        argv = [require_tool(f"mkfs.{fstype}"), "-q", "-F", *(options or ("-b", "4096"))]
        argv += ["-U", uuid] if uuid else []
        argv += ["-L", label] if label else []
    elif fstype == "xfs":
        argv = [require_tool("mkfs.xfs"), "-q", "-f", *options]
        argv += ["-m", f"uuid={uuid}"] if uuid else []
        argv += ["-L", label] if label else []
    elif fstype == "btrfs":
        argv = [require_tool("mkfs.btrfs"), "-q", "-f", *options]
        argv += ["-U", uuid] if uuid else []
        argv += ["-L", label] if label else []
    elif fstype == "vfat":
        argv = [require_tool("mkfs.vfat"), *options]
        argv += ["-i", uuid.replace("-", "")] if uuid else []
        argv += ["-n", label] if label else []
    else:
        raise ImagewrightError(f"cannot make a {fstype} file system")
    return [*argv, str(device)]


def fill_filesystem(
    tree: Path,
    device: Path,
    filesystem: PartitionLayout,
    scratch: Path,
    *,
    mkfs_options: Sequence[str] = (),
) -> None:
    """Make filesystem on device holding a faithful copy of tree (which must not be changing)."""
    fstype = filesystem.fstype or "ext4"
    argv = mkfs_argv(
        fstype, device, uuid=filesystem.uuid, label=filesystem.label, options=mkfs_options
    )
    try:
        if fstype in ("ext2", "ext3", "ext4"):
            run([*argv[:-1], "-d", str(tree), argv[-1]])
            return
        if fstype == "btrfs" and filesystem.uuid:
            run(
                _hide_other_devices(argv, scratch),
                env=base_environment({"BLKID_FILE": "/dev/null"}),
            )
        else:
            run(argv)
        target = scratch / "fill"
        target.mkdir(exist_ok=True)
        options = ("nouuid",) if fstype == "xfs" else ()
        with mount(device, target, fstype=fstype, options=options):
            copy_tree(tree, target)
            flush(target)
    except CommandError as error:
        if "space" in error.stderr.lower() or "allocate" in error.stderr.lower():
            raise ImagewrightError(
                f"the tree {tree} does not fit in a {filesystem.size} byte {fstype} file system",
                hint="give a larger size, or leave the size out to fit the tree",
            ) from error
        raise


def _hide_other_devices(argv: list[str], scratch: Path) -> list[str]:
    """argv run where the device lists are empty (a private mount namespace).

    mkfs.btrfs refuses a UUID that any block device on the host has. Re-making a file system
    with its own UUID (re-packing), or making one while a copy of the image is attached
    elsewhere, is meant to duplicate it; the kernel keeps same-UUID btrfs copies apart.
    """
    empty_file = scratch / "no-partitions"
    empty_file.touch()
    empty_dir = scratch / "no-block-devices"
    empty_dir.mkdir(exist_ok=True)
    script = (
        'mount --bind "$1" /proc/partitions && mount --bind "$2" /sys/block && shift 2 && exec "$@"'
    )
    return [
        require_tool("unshare"), "--mount", "--propagation", "private", "--",
        "sh", "-c", script, "sh", str(empty_file), str(empty_dir), *argv,
    ]  # fmt: skip


def copy_tree(source: Path, destination: Path) -> None:
    """Copy source's contents into destination keeping owners, modes, xattrs, links and holes
    (file systems mounted below source included, as `mkfs.ext4 -d` does)."""
    run(["cp", "--archive", "--sparse=always", f"{source}/.", destination])


def flush(mountpoint: Path) -> None:
    """Write a file system's dirty data to its device now: what was written is on the image
    even if the unmount that follows has to be lazy (something still using the mount)."""
    run(["sync", "--file-system", mountpoint])


def _make_root(tree: Path, device: Path, root: PartitionLayout, scratch: Path) -> None:
    log.info("Writing %s into a %s file system of %d MiB", tree, root.fstype, root.size // MIB)
    fill_filesystem(tree, device, root, scratch)


def _make_esp(device: Path, esp: PartitionLayout) -> None:
    run(mkfs_argv("vfat", device, uuid=esp.uuid, label=esp.label or "ESP"))


def fstab_line(spec: str, mountpoint: str, fstype: str, options: str, passno: int) -> str:
    return f"{spec}\t{mountpoint}\t{fstype}\t{options}\t0\t{passno}"


def _write_fstab(device: Path, layout: DiskLayout, scratch: Path) -> None:
    root = layout.root
    fstype = root.fstype or "ext4"
    target = scratch / "fstab-root"
    target.mkdir(exist_ok=True)
    with mount(device, target, fstype=fstype, options=("nouuid",) if fstype == "xfs" else ()):
        image = ImageRoot(target)
        ours = {"/": fstab_line(f"UUID={root.uuid}", "/", fstype, "defaults", 1)}
        if layout.esp is not None:
            ours["/boot/efi"] = fstab_line(
                f"UUID={layout.esp.uuid}", "/boot/efi", "vfat", "umask=0077", 2
            )
            image.resolve("/boot/efi").mkdir(parents=True, exist_ok=True)
        existing = image.read_text("/etc/fstab") if image.is_file("/etc/fstab") else ""
        dropped = {e.line for e in parse_fstab(existing) if _replaced_by_disk(e, ours)}
        kept = [
            line
            for number, line in enumerate(existing.splitlines(), start=1)
            if number not in dropped and not line.startswith("# UNCONFIGURED")
        ]
        image.write_text("/etc/fstab", "\n".join([*kept, *ours.values()]) + "\n")
        flush(target)


def _replaced_by_disk(entry: FstabEntry, ours: dict[str, str]) -> bool:
    """An old line for a mount point the new disk provides, or for a disk file system whose
    content is now in the root: mounting it would fail the boot. Lines marked nofail or
    noauto (volumes attached later) stay."""
    if str(entry.mountpoint) in ours:
        return True
    optional = {"nofail", "noauto"} & set(entry.options)
    return entry.fstype in DISK_FILESYSTEMS and not optional


def export(raw: Path, output: Path, *, format: ExportFormat = "qcow2") -> Path:
    """Convert a raw disk image to format (sparse), atomically replacing output."""
    partial = output.with_name(f".{output.name}.imagewright-partial")
    try:
        if format == "raw":
            run(["cp", "--sparse=always", raw, partial])
        else:
            argv = [require_tool("qemu-img"), "convert", "-f", "raw", "-O", QEMU_FORMATS[format]]
            if format == "vhd":
                argv += ["-o", "subformat=dynamic,force_size=on"]
            run([*argv, raw, partial])
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)
    return output

"""What a target is, decided by its content: magic bytes, partition tables, file system probes.

Partition tables are read from the file with sfdisk and file systems probed with blkid at an
offset, so nothing depends on the kernel's partition parsers (many VM kernels have none, and loop
devices then never get /dev/loopNpM nodes).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from imagewright.errors import BadTargetError
from imagewright.run import require_tool, run

SECTOR = 512

TargetKind = Literal["directory", "raw", "qcow2", "tar"]

QCOW2_MAGIC = b"QFI\xfb"
TAR_MAGIC_OFFSET = 257
COMPRESSION_MAGICS = {
    b"\x1f\x8b": "gzip",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"BZh": "bzip2",
}
# Partition types that never hold a file system of their own.
CONTAINER_TYPES = {"5", "f", "85"}  # MBR extended partitions
GPT_PROTECTIVE = "ee"

SUPPORTED_FILESYSTEMS = ("ext2", "ext3", "ext4", "xfs", "btrfs", "vfat")
ROOT_FILESYSTEMS = ("ext2", "ext3", "ext4", "xfs", "btrfs")


@dataclass(frozen=True, slots=True)
class Region:
    """A file system (or a partition that may hold one) inside a raw disk image."""

    offset: int  # bytes from the start of the disk
    size: int  # bytes
    number: int | None = None  # partition number; None for a disk without a partition table
    partuuid: str | None = None
    partlabel: str | None = None
    fstype: str | None = None
    uuid: str | None = None
    label: str | None = None
    block_size: int | None = None  # the file system's block size in bytes, when blkid knows it


def _head(path: Path, length: int) -> bytes:
    with path.open("rb") as handle:
        return handle.read(length)


def compression_of(path: Path) -> str | None:
    head = _head(path, 8)
    for magic, name in COMPRESSION_MAGICS.items():
        if head.startswith(magic):
            return name
    return None


def detect_kind(path: Path) -> TargetKind:
    """'directory', 'qcow2', 'tar' or 'raw', by content; BadTargetError for anything else."""
    if path.is_dir():
        return "directory"
    if not path.exists():
        raise BadTargetError(f"{path} does not exist")
    if not path.is_file() and not path.is_block_device():
        raise BadTargetError(f"{path} is neither a directory nor an image file")
    head = _head(path, 4096)
    if head.startswith(QCOW2_MAGIC):
        return "qcow2"
    if head[TAR_MAGIC_OFFSET : TAR_MAGIC_OFFSET + 5] == b"ustar" or compression_of(path):
        return "tar"
    if probe_disk(path) is not None:
        return "raw"
    raise BadTargetError(
        f"{path} is not a disk image, qcow2 image or tar archive (no partition table, "
        "file system or archive header found)",
        hint="imagewright opens directories, raw disk images (MBR, GPT or a bare file system), "
        "qcow2 images and tar archives",
    )


def _blkid(path: Path, offset: int = 0, size: int | None = None) -> dict[str, str]:
    argv: list[str | Path] = [require_tool("blkid"), "--probe", "--output", "export"]
    if offset:
        argv += ["--offset", str(offset)]
    if size is not None:
        argv += ["--size", str(size)]
    argv.append(path)
    # blkid exits 2 when nothing is recognised, 4/8 when probing is ambiguous or fails.
    result = run(argv, check=False)
    values: dict[str, str] = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition("=")
        values[key] = value
    return values


def probe_disk(path: Path) -> dict[str, str] | None:
    """blkid's view of the whole file: PTTYPE for a partitioned disk, TYPE for a bare fs."""
    values = _blkid(path)
    return values if ("PTTYPE" in values or "TYPE" in values) else None


def probe_region(path: Path, region: Region) -> Region:
    """The region with its file system type, UUID and label filled in (None when unknown)."""
    values = _blkid(path, region.offset, region.size)
    return Region(
        offset=region.offset,
        size=region.size,
        number=region.number,
        partuuid=region.partuuid,
        partlabel=region.partlabel,
        fstype=values.get("TYPE"),
        uuid=values.get("UUID"),
        label=values.get("LABEL"),
        block_size=int(values["BLOCK_SIZE"]) if values.get("BLOCK_SIZE", "").isdigit() else None,
    )


def disk_size(path: Path) -> int:
    if path.is_block_device():
        fd = os.open(path, os.O_RDONLY)
        try:
            return os.lseek(fd, 0, os.SEEK_END)
        finally:
            os.close(fd)
    return path.stat().st_size


def regions(path: Path) -> list[Region]:
    """Every file system region of a raw disk, probed; BadTargetError when the table is broken."""
    disk = probe_disk(path)
    if disk is None:
        raise BadTargetError(f"{path} holds no partition table or file system")
    size = disk_size(path)
    if "PTTYPE" not in disk:
        return [probe_region(path, Region(offset=0, size=size))]
    table = _partition_table(path)
    found: list[Region] = []
    for partition in table.get("partitions", []):
        ptype = str(partition.get("type", "")).lower()
        if ptype == GPT_PROTECTIVE:
            raise BadTargetError(
                f"{path}: the GPT partition table is corrupt (both headers fail their checksum; "
                "only the protective MBR is readable)",
                hint="repair it with 'sgdisk --verify' / 'gdisk', or restore the image",
            )
        if ptype in CONTAINER_TYPES:
            continue
        offset = int(partition["start"]) * SECTOR
        length = int(partition["size"]) * SECTOR
        if offset + length > size:
            raise BadTargetError(
                f"{path} is truncated: partition {partition['node']} ends at byte "
                f"{offset + length} but the image has only {size} bytes",
                hint="the image was probably copied or downloaded incompletely",
            )
        # sfdisk names partitions <device><n>, or <device>p<n> when the name ends in a digit.
        number = int(re.findall(r"\d+$", str(partition["node"]))[0])
        found.append(
            probe_region(
                path,
                Region(
                    offset=offset,
                    size=length,
                    number=number,
                    partuuid=_partuuid(table, partition, number),
                    partlabel=partition.get("name"),
                ),
            )
        )
    if not found:
        raise BadTargetError(f"{path} has a {disk['PTTYPE']} partition table without partitions")
    return found


def _partition_table(path: Path) -> dict[str, Any]:
    result = run([require_tool("sfdisk"), "--json", path], check=False)
    if result.returncode != 0 or not result.stdout.strip():
        raise BadTargetError(
            f"{path}: the partition table cannot be read: {result.stderr.strip()}",
            hint="check it with 'sfdisk --verify' or 'sgdisk --verify'",
        )
    table: dict[str, Any] = json.loads(result.stdout)["partitiontable"]
    return table


def _partuuid(table: dict[str, Any], partition: dict[str, Any], number: int) -> str | None:
    if "uuid" in partition:
        return str(partition["uuid"]).lower()
    disk_id = str(table.get("id", ""))
    if table.get("label") == "dos" and disk_id.startswith("0x"):
        # The kernel's PARTUUID for MBR: the disk signature and the partition number.
        return f"{disk_id[2:].lower():0>8}-{number:02x}"
    return None

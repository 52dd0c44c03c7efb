"""Re-packing: every file system of a disk image copied into a fresh one of the same type, UUID,
label and (for ext2/3/4) features, written in place of the old one.

Nothing of the old file system survives — not its free blocks, journal, slack or old
copy-on-write extents — which makes this the one method that removes deleted data from btrfs.
The partition's old bytes are discarded (hole-punched in the image file) before the new file
system is written over them, so the image stays sparse.
"""

from __future__ import annotations

import logging
from pathlib import Path

from imagewright.errors import ImagewrightError
from imagewright.images.disk import PartitionLayout, copy_tree, fill_filesystem
from imagewright.images.scratch import scratch_dir
from imagewright.images.target import MountedFilesystem, OpenedImage
from imagewright.mounts import bind, loop_attach
from imagewright.run import require_tool, run

log = logging.getLogger(__name__)

EXT_FAMILY = ("ext2", "ext3", "ext4")
# Features describing a state of the old file system, not a choice made when it was created.
TRANSIENT_EXT_FEATURES = {"needs_recovery", "orphan_present", "orphan_file"}


def repack(opened: OpenedImage) -> list[MountedFilesystem]:
    """Replace each file system of a writable disk image by a fresh copy; returns those done.

    Directories and tar archives have no free blocks of their own: nothing to do.
    """
    if opened.kind in ("directory", "tar") or not opened.filesystems:
        log.info("%s is a %s: there are no free blocks to re-pack", opened.source, opened.kind)
        return []
    if not opened.writable:
        raise ImagewrightError(f"{opened.source} was opened read-only; it cannot be re-packed")
    filesystems = _distinct(opened.filesystems)
    with scratch_dir(opened.work_dir) as scratch:
        staged = [_stage(opened, f, scratch / str(i)) for i, f in enumerate(filesystems)]
        with opened.unmounted():
            for filesystem, fresh in staged:
                discard(opened, filesystem)
                if fresh.is_dir():
                    fill_filesystem(fresh, filesystem.device, _layout(filesystem), fresh.parent)
                else:
                    _write_over(filesystem.device, fresh)
    return filesystems


def discard(opened: OpenedImage, filesystem: MountedFilesystem) -> None:
    """Remove every byte of an unmounted file system: the image file gets a hole there."""
    raw = opened.raw_disk
    if raw is not None and raw.is_file():
        # One hole punched in the file is much faster than a loop device's discard requests.
        run(
            [
                require_tool("fallocate"),
                "--punch-hole",
                f"--offset={filesystem.offset}",
                f"--length={filesystem.size}",
                raw,
            ]
        )
        run([require_tool("blockdev"), "--flushbufs", filesystem.device])
    else:
        run([require_tool("blkdiscard"), "--force", filesystem.device])


def _layout(filesystem: MountedFilesystem) -> PartitionLayout:
    return PartitionLayout(
        "root",
        filesystem.partition,
        filesystem.offset,
        filesystem.size,
        filesystem.fstype,
        filesystem.uuid,
        filesystem.label,
    )


def _stage(
    opened: OpenedImage, filesystem: MountedFilesystem, scratch: Path
) -> tuple[MountedFilesystem, Path]:
    """The fresh file system as an image file, or (btrfs) as a copied tree to fill it from.

    mkfs.btrfs refuses a UUID that a mounted file system has, so a btrfs file system is made
    only once the old one is gone, from a copy of its tree.
    """
    log.info("Re-packing the %s file system at %s", filesystem.fstype, filesystem.mountpoint)
    scratch.mkdir()
    view = scratch / "view"
    view.mkdir()
    # A non-recursive bind shows exactly this file system, without what is mounted on it.
    with bind(opened.host_path(filesystem), view, readonly=True):
        if filesystem.fstype == "btrfs":
            tree = scratch / "tree"
            tree.mkdir()
            copy_tree(view, tree)
            return filesystem, tree
        fresh = scratch / "fresh.img"
        with fresh.open("wb") as handle:
            handle.truncate(filesystem.size)
        with loop_attach(fresh, partitions=False) as device:
            fill_filesystem(
                view,
                device,
                _layout(filesystem),
                scratch,
                mkfs_options=_mkfs_options(filesystem),
            )
        return filesystem, fresh


def _distinct(filesystems: list[MountedFilesystem]) -> list[MountedFilesystem]:
    seen: dict[int, MountedFilesystem] = {}
    for filesystem in filesystems:
        if filesystem.offset in seen:
            raise ImagewrightError(
                f"the {filesystem.fstype} file system at {filesystem.mountpoint} is mounted "
                "more than once (subvolumes); re-packing it would flatten the subvolumes",
                hint="wipe the free space of the other file systems instead",
            )
        if filesystem.options:
            raise ImagewrightError(
                f"{filesystem.mountpoint} is a subvolume ({', '.join(filesystem.options)}); "
                "re-packing it would lose the other subvolumes"
            )
        seen[filesystem.offset] = filesystem
    return list(seen.values())


def _mkfs_options(filesystem: MountedFilesystem) -> list[str]:
    """For ext2/3/4 the old file system's block size, inode size and feature set."""
    if filesystem.fstype not in EXT_FAMILY:
        return []
    header = run([require_tool("dumpe2fs"), "-h", filesystem.device], check=False).stdout
    fields: dict[str, str] = {}
    for line in header.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key.strip()] = value.strip()
    features = [
        f for f in fields.get("Filesystem features", "").split() if f not in TRANSIENT_EXT_FEATURES
    ]
    options = ["-b", fields.get("Block size", "4096")]
    if "Inode size" in fields:
        options += ["-I", fields["Inode size"]]
    if features:
        options += ["-O", ",".join(["none", *features])]
    return options


def _write_over(device: Path, fresh: Path) -> None:
    """Write the fresh file system onto the (discarded, so all-zero) device, skipping zeros."""
    run(["dd", f"if={fresh}", f"of={device}", "bs=4M", "conv=sparse,notrunc,fsync", "status=none"])
    run([require_tool("blockdev"), "--flushbufs", device])

"""The byte ranges of a file system that no file owns, read with the file system's own tools.

Each reader returns absolute (start, end) byte ranges in the disk image. ext2/3/4 free blocks come
from the block bitmaps (`dumpe2fs`), xfs free extents from the free-space B+trees of every
allocation group (`xfs_db freesp -d`), btrfs from its chunk and extent trees (`dump-tree`).
xfs and btrfs tools read a device, so the region is attached read-only to a loop device.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from imagewright.images.probe import Region
from imagewright.mounts import loop_attach
from imagewright.run import require_tool, run

Ranges = list[tuple[int, int]]


class FreeSpaceUnknown(Exception):
    """The file system's tools did not tell which blocks are free (the reason is the message)."""


_EXT_FREE_BLOCKS = re.compile(r"^\s+Free blocks: (.*)$", re.M)
_EXT_BLOCK_SIZE = re.compile(r"^Block size:\s+(\d+)$", re.M)
_XFS_FIELD = re.compile(r"^(agblocks|blocksize) = (\d+)$", re.M)
_XFS_FREE_EXTENT = re.compile(r"^\s*(\d+)\s+(\d+)\s+(\d+)$", re.M)  # agno agbno len
_BTRFS_NODESIZE = re.compile(r"^nodesize\s+(\d+)$", re.M)
_BTRFS_DEVICE_SIZE = re.compile(r"^dev_item\.total_bytes\s+(\d+)$", re.M)
_BTRFS_CHUNK = re.compile(r"key \(FIRST_CHUNK_TREE CHUNK_ITEM (\d+)\)")
_BTRFS_CHUNK_SHAPE = re.compile(r"length (\d+) .*?type (\S+)")
_BTRFS_STRIPE = re.compile(r"stripe \d+ devid (\d+) offset (\d+)")
_BTRFS_EXTENT = re.compile(r"key \((\d+) (EXTENT_ITEM|METADATA_ITEM) (\d+)\)")


def merge(ranges: Sequence[tuple[int, int]]) -> Ranges:
    merged: Ranges = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        elif end > start:
            merged.append((start, end))
    return merged


def subtract(ranges: Sequence[tuple[int, int]], taken: Sequence[tuple[int, int]]) -> Ranges:
    """The parts of ranges not covered by taken (pass taken merged when calling this often)."""
    result: Ranges = []
    taken = merge(taken)
    ends = [end for _, end in taken]
    for start, end in merge(ranges):
        cursor = start
        index = bisect.bisect_right(ends, cursor)  # the first taken range ending after cursor
        while index < len(taken) and taken[index][0] < end:
            taken_start, taken_end = taken[index]
            if taken_start > cursor:
                result.append((cursor, taken_start))
            cursor = max(cursor, taken_end)
            index += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def _clip(ranges: Sequence[tuple[int, int]], region: Region) -> Ranges:
    """Relative ranges made absolute, never past the end of the region."""
    limit = region.size
    return merge([(region.offset + s, region.offset + min(e, limit)) for s, e in ranges])


def ext_free_ranges(disk: Path, region: Region) -> Ranges:
    require_tool("dumpe2fs")
    output = run(["dumpe2fs", f"{disk}?offset={region.offset}"], log_as="dumpe2fs").stdout
    size_match = _EXT_BLOCK_SIZE.search(output)
    if size_match is None:
        return []
    block = int(size_match.group(1))
    ranges = []
    for listing in _EXT_FREE_BLOCKS.findall(output):
        for item in filter(None, (i.strip() for i in listing.split(","))):
            first, _, last = item.partition("-")
            ranges.append((int(first) * block, (int(last or first) + 1) * block))
    return _clip(ranges, region)


def xfs_free_ranges(disk: Path, region: Region) -> Ranges:
    require_tool("xfs_db")
    with loop_attach(
        disk, partitions=False, readonly=True, offset=region.offset, size=region.size
    ) as device:
        argv = ["xfs_db", "-r", "-c", "sb 0", "-c", "p agblocks blocksize", "-c", "freesp -d"]
        output = run([*argv, device], log_as="xfs_db").stdout
    fields = {name: int(value) for name, value in _XFS_FIELD.findall(output)}
    if set(fields) != {"agblocks", "blocksize"}:
        raise FreeSpaceUnknown("xfs_db printed no agblocks or blocksize")
    agblocks, block = fields["agblocks"], fields["blocksize"]
    # AG-relative block numbers: every allocation group but the last is agblocks long.
    return _clip(
        [
            (
                (int(agno) * agblocks + int(agbno)) * block,
                (int(agno) * agblocks + int(agbno) + int(length)) * block,
            )
            for agno, agbno, length in _XFS_FREE_EXTENT.findall(output)
        ],
        region,
    )


@dataclass(frozen=True, slots=True)
class BtrfsChunk:
    logical: int
    length: int
    kind: str  # DATA|single, METADATA|DUP, …
    physical: tuple[int, ...]  # one offset per copy on this device


def btrfs_free_ranges(disk: Path, region: Region) -> Ranges:
    """Device bytes in no chunk, and the parts of every chunk that no extent or tree block uses.

    Reading the trees (not scanning the whole partition and filtering hits found in live files)
    keeps live files' bytes out of the deleted-data results and finds what is truly unused: a
    small file is stored inline in a tree block, so an rm'd one survives in metadata chunks'
    unused tree blocks, which this covers as well.
    """
    require_tool("btrfs")
    with loop_attach(
        disk, partitions=False, readonly=True, offset=region.offset, size=region.size
    ) as device:

        def dump(*args: str) -> str:
            argv = ["btrfs", "inspect-internal", *args, str(device)]
            return run(argv, log_as="btrfs inspect-internal").stdout

        superblock = dump("dump-super")
        chunks = dump("dump-tree", "-t", "chunk")
        extents = dump("dump-tree", "-t", "extent")
    nodesize = int(_first(_BTRFS_NODESIZE, superblock))
    device_size = int(_first(_BTRFS_DEVICE_SIZE, superblock))
    used = merge(
        [
            # skinny tree blocks carry their level in the key, not their length
            (int(bytenr), int(bytenr) + (nodesize if kind == "METADATA_ITEM" else int(value)))
            for bytenr, kind, value in _BTRFS_EXTENT.findall(extents)
        ]
    )
    free: Ranges = []
    allocated: Ranges = []
    for chunk in _btrfs_chunks(chunks):
        allocated += [(p, p + chunk.length) for p in chunk.physical]
        unused = subtract([(chunk.logical, chunk.logical + chunk.length)], used)
        for physical in chunk.physical:
            free += [
                (physical + s - chunk.logical, physical + e - chunk.logical) for s, e in unused
            ]
    free += subtract([(0, max(device_size, region.size))], allocated)
    return _clip(free, region)


def _first(pattern: re.Pattern[str], text: str) -> str:
    match = pattern.search(text)
    if match is None:
        raise FreeSpaceUnknown(f"no {pattern.pattern!r} in btrfs inspect-internal's output")
    return match.group(1)


def _btrfs_chunks(dump: str) -> list[BtrfsChunk]:
    chunks = []
    items = _BTRFS_CHUNK.split(dump)  # text, logical, item text, logical, item text, …
    for logical_text, item in zip(items[1::2], items[2::2], strict=True):
        shape = _BTRFS_CHUNK_SHAPE.search(item)
        if shape is None:
            raise FreeSpaceUnknown(f"no length or type for the chunk at {logical_text}")
        logical, length, kind = int(logical_text), int(shape.group(1)), shape.group(2)
        stripes = _BTRFS_STRIPE.findall(item)
        # single and DUP chunks hold whole copies on one device, mapped linearly; other profiles
        # stripe over devices that a single disk image does not hold.
        profile = kind.partition("|")[2] or "single"
        if profile not in ("single", "DUP") or len({devid for devid, _ in stripes}) != 1:
            raise FreeSpaceUnknown(f"chunk at {logical} is {kind} over several devices")
        chunks.append(BtrfsChunk(logical, length, kind, tuple(int(o) for _, o in stripes)))
    return chunks


FREE_SPACE_READERS: dict[str, Callable[[Path, Region], Ranges]] = {
    "ext2": ext_free_ranges,
    "ext3": ext_free_ranges,
    "ext4": ext_free_ranges,
    "xfs": xfs_free_ranges,
    "btrfs": btrfs_free_ranges,
}

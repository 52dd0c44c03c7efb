"""Deleted data: the secret rules over the blocks of a raw disk that no file owns.

The free space of ext2/3/4, xfs and btrfs file systems comes from `scan.freespace`; the disk's
bytes outside every file system (gaps between partitions, the tail), swap and partitions without
a file system are scanned whole. Holes of a sparse disk file are skipped with SEEK_DATA, since
they read as zeros. Other file systems' (vfat) free space is reported as not scanned instead of
guessed at.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from imagewright.findings import Finding, redact
from imagewright.images.probe import Region
from imagewright.scan.freespace import FREE_SPACE_READERS, FreeSpaceUnknown, merge
from imagewright.scan.matcher import SecretMatch, SecretMatcher

log = logging.getLogger(__name__)

CHUNK = 16 << 20
OVERLAP = 64 << 10
# No file lives in these: all of their bytes are scanned (swap can hold any process memory).
WHOLLY_SCANNED = (None, "swap")

REMEDIATION = (
    "The file was deleted but its bytes are still in the image's free space: rotate the secret, "
    "and make the image from a fresh file system (or wipe the free space) so nothing of it ships"
)


@dataclass(slots=True)
class RawStats:
    bytes_scanned: int = 0
    not_scanned: list[str] = field(default_factory=list)


def unallocated_ranges(
    disk: Path, regions: Sequence[Region], stats: RawStats
) -> list[tuple[int, int]]:
    disk_size = disk.stat().st_size
    ranges: list[tuple[int, int]] = []
    covered = merge([(r.offset, r.offset + r.size) for r in regions])
    cursor = 0
    for start, end in covered:
        ranges.append((cursor, start))
        cursor = end
    ranges.append((cursor, disk_size))
    for region in regions:
        reader = FREE_SPACE_READERS.get(region.fstype or "")
        if region.fstype in WHOLLY_SCANNED:
            ranges.append((region.offset, region.offset + region.size))
            continue
        try:
            if reader is None:
                raise FreeSpaceUnknown(
                    f"free blocks are read only on {', '.join(FREE_SPACE_READERS)}"
                )
            ranges.extend(reader(disk, region))
        except FreeSpaceUnknown as e:
            stats.not_scanned.append(
                f"free space of the {region.fstype} file system at offset {region.offset} ({e})"
            )
    return merge(ranges)


def _data_segments(fd: int, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Parts of [start, end) that hold data; holes of a sparse file read as zeros."""
    position = start
    while position < end:
        try:
            data = os.lseek(fd, position, os.SEEK_DATA)
        except OSError:  # ENXIO: only a hole follows
            return
        if data >= end:
            return
        hole = min(os.lseek(fd, data, os.SEEK_HOLE), end)
        yield data, hole
        position = hole


def scan_ranges(
    disk: Path, ranges: Sequence[tuple[int, int]], matcher: SecretMatcher, stats: RawStats
) -> list[Finding]:
    findings: list[Finding] = []
    seen: set[tuple[str, int]] = set()
    fd = os.open(disk, os.O_RDONLY)
    try:
        for range_start, range_end in ranges:
            for start, end in _data_segments(fd, range_start, range_end):
                offset = start
                while offset < end:
                    length = min(CHUNK + OVERLAP, end - offset)
                    data = os.pread(fd, length, offset)
                    if not data:
                        break
                    stats.bytes_scanned += min(len(data), CHUNK)
                    for match in matcher.find(data):
                        absolute = offset + match.start
                        if (match.rule.name, absolute) in seen:
                            continue
                        seen.add((match.rule.name, absolute))
                        findings.append(_finding(match, absolute))
                    offset += CHUNK
    finally:
        os.close(fd)
    return findings


def _finding(match: SecretMatch, offset: int) -> Finding:
    return Finding(
        rule_id=match.rule.name,
        category="deleted-data",
        severity=match.rule.severity,
        title=f"Deleted data still on disk: {match.rule.title}",
        offset=offset,
        evidence=redact(match.value.decode("utf-8", errors="replace")),
        remediation=REMEDIATION,
    )


def scan_free_space(
    disk: Path, regions: Sequence[Region], matcher: SecretMatcher, stats: RawStats
) -> list[Finding]:
    """Secrets in the unallocated bytes of a raw disk, each with its byte offset in the disk."""
    return scan_ranges(disk, unallocated_ranges(disk, regions, stats), matcher, stats)

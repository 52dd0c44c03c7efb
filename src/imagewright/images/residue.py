"""Proof that removed content is gone: fingerprint files before removal, then look for their
blocks anywhere on the raw disk — live files, free blocks and journals alike.

A file system stores a file in whole blocks, so each 4096-byte block of the file (the tail padded
with zeros, as file systems pad it) is looked for at every 4096-byte boundary of each file system
on the disk. Blocks that prove nothing (all zeros, a few repeated byte values, a tail of a few
bytes) are not fingerprinted.

The scan reads big chunks, skips holes of sparse images, and checks each block against a set of
16-byte prefixes before hashing it, so it runs at about the speed of reading the disk.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from imagewright.errors import BadTargetError, UnsafePathError
from imagewright.images.probe import regions

BLOCK = 4096
PREFIX = 16
CHUNK = 8 << 20  # bytes per read; a multiple of BLOCK
MIN_DISTINCT_BYTES = 8  # fewer distinct values than this: filler, not evidence
MIN_TAIL_BYTES = 64  # shorter tails match too much by chance


@dataclass(frozen=True, slots=True)
class ResidueHit:
    """A block of a fingerprinted file found on the raw disk."""

    image_path: PurePosixPath  # the file the block came from
    offset: int  # byte offset of the block on the raw disk
    block: int  # which 4096-byte block of the file it is


def _digest(block: bytes | memoryview) -> bytes:
    return hashlib.blake2b(block, digest_size=16).digest()


def is_evidence(block: bytes, content_length: int) -> bool:
    """Whether a (zero-padded) block says enough about its file to count when found."""
    return content_length >= MIN_TAIL_BYTES and len(set(block)) >= MIN_DISTINCT_BYTES


class Fingerprints:
    """Block hashes of files that are about to be removed."""

    def __init__(self) -> None:
        self._blocks: dict[bytes, list[tuple[PurePosixPath, int]]] = {}
        self._prefixes: set[bytes] = set()

    def __len__(self) -> int:
        return len(self._blocks)

    def add_file(self, host_path: Path, image_path: PurePosixPath | str | None = None) -> int:
        """Fingerprint a regular file (never following a final symlink); returns blocks added."""
        shown = PurePosixPath(image_path if image_path is not None else host_path)
        try:
            fd = os.open(host_path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as error:
            raise UnsafePathError(f"cannot read {shown} to fingerprint it: {error}") from error
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return 0
            added = 0
            index = 0
            while True:
                data = os.read(fd, CHUNK)
                if not data:
                    break
                for start in range(0, len(data), BLOCK):
                    added += self._add_block(data[start : start + BLOCK], shown, index)
                    index += 1
            return added
        finally:
            os.close(fd)

    def add_bytes(self, data: bytes, image_path: PurePosixPath | str) -> int:
        """Fingerprint content that is not in a file of its own (e.g. a removed line)."""
        shown = PurePosixPath(image_path)
        return sum(
            self._add_block(data[start : start + BLOCK], shown, start // BLOCK)
            for start in range(0, len(data), BLOCK)
        )

    def _add_block(self, content: bytes, image_path: PurePosixPath, index: int) -> int:
        block = content.ljust(BLOCK, b"\0")
        if not is_evidence(block, len(content)):
            return 0
        self._blocks.setdefault(_digest(block), []).append((image_path, index))
        self._prefixes.add(block[:PREFIX])
        return 1

    @property
    def prefixes(self) -> set[bytes]:
        """The first bytes of every fingerprinted block: a cheap test before hashing."""
        return self._prefixes

    def match(self, block: bytes | memoryview) -> list[tuple[PurePosixPath, int]]:
        if bytes(block[:PREFIX]) not in self._prefixes:
            return []
        return self._blocks.get(_digest(block), [])


def find_residue(
    raw: Path, fingerprints: Fingerprints, *, phases: Iterable[int] | None = None
) -> list[ResidueHit]:
    """Every place on raw where a fingerprinted block is stored.

    phases: the byte offsets (modulo 4096) where file systems start on the disk; by default
    read from its partition table (0 for a bare file system).
    """
    if not len(fingerprints):
        return []
    offsets = sorted({p % BLOCK for p in (phases if phases is not None else _phases(raw))})
    hits: list[ResidueHit] = []
    fd = os.open(raw, os.O_RDONLY)
    try:
        size = os.lseek(fd, 0, os.SEEK_END)
        for start, end in _data_ranges(fd, size):
            for phase in offsets:
                hits += _scan_range(fd, start, end, phase, fingerprints)
    finally:
        os.close(fd)
    return sorted(set(hits), key=lambda h: (h.offset, str(h.image_path)))


def _phases(raw: Path) -> list[int]:
    """Where file system blocks can start: each file system's offset, and on file systems with
    blocks smaller than 4096 bytes (small ext2/3/4) every block boundary in between."""
    try:
        found = regions(raw)
    except BadTargetError:
        return [0]
    phases = [0]
    for region in found:
        step = min(region.block_size or BLOCK, BLOCK)
        phases += range(region.offset, region.offset + BLOCK, step)
    return phases


def _data_ranges(fd: int, size: int) -> list[tuple[int, int]]:
    """(start, end) of the parts of the file that hold data; holes read as zeros and are skipped."""
    ranges: list[tuple[int, int]] = []
    position = 0
    while position < size:
        try:
            start = os.lseek(fd, position, os.SEEK_DATA)
        except OSError:  # ENXIO: only a hole is left
            break
        end = os.lseek(fd, start, os.SEEK_HOLE)
        ranges.append((start, end))
        position = end
    return ranges


def _scan_range(
    fd: int, start: int, end: int, phase: int, fingerprints: Fingerprints
) -> list[ResidueHit]:
    hits: list[ResidueHit] = []
    # First block boundary of this phase at or after start.
    position = start + (phase - start) % BLOCK
    prefixes = fingerprints.prefixes
    while position < end:
        # A block running past the end of the data continues into a hole: zeros, read as such.
        length = min(CHUNK, -(-(end - position) // BLOCK) * BLOCK)
        data = os.pread(fd, length, position)
        for index in range(0, len(data) - BLOCK + 1, BLOCK):
            if data[index : index + PREFIX] in prefixes:
                for image_path, block in fingerprints.match(data[index : index + BLOCK]):
                    hits.append(ResidueHit(image_path, position + index, block))
        if len(data) < BLOCK:
            break
        position += len(data) // BLOCK * BLOCK
    return hits

"""Installed files and their digests from an image's rpm database (rpm 4.16+: SQLite).

Each row of the Packages table is an rpm header: a count of index entries and the size of the
data store, the entries (tag, type, offset, count; big-endian 32-bit), then the data. The file
list is BASENAMES + DIRNAMES[DIRINDEXES]; FILEDIGESTS are hex strings in FILEDIGESTALGO
(MD5 when the tag is absent). The database is copied out of the image before it is opened, so
SQLite never writes next to it (its WAL and shared-memory files) and the image stays unchanged.
"""

from __future__ import annotations

import shutil
import sqlite3
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path

from imagewright.paths import ImageRoot

RPMDB = "/var/lib/rpm/rpmdb.sqlite"
DIRINDEXES, BASENAMES, DIRNAMES, FILEDIGESTS, FILEDIGESTALGO = 1116, 1117, 1118, 1035, 5011
ALGORITHMS = {1: "md5", 2: "sha1", 8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224"}


def _header(blob: bytes) -> tuple[dict[int, tuple[int, int, int]], bytes]:
    """({tag: (type, offset, count)}, data store) of a header blob."""
    index_count, data_size = struct.unpack_from(">ii", blob, 0)
    entries = {}
    for number in range(index_count):
        tag, kind, offset, count = struct.unpack_from(">iiii", blob, 8 + 16 * number)
        entries[tag] = (kind, offset, count)
    start = 8 + 16 * index_count
    return entries, blob[start : start + data_size]


def header_files(blob: bytes) -> Iterator[tuple[str, str, str]]:
    """(path, digest algorithm, hex digest) of each regular file of one package header."""
    entries, data = _header(blob)

    def strings(tag: int) -> list[str]:
        _, offset, count = entries[tag]
        return [s.decode("utf-8", "replace") for s in data[offset:].split(b"\0", count)[:count]]

    def int32s(tag: int) -> tuple[int, ...]:
        _, offset, count = entries[tag]
        return struct.unpack_from(f">{count}i", data, offset)

    if not {BASENAMES, DIRNAMES, DIRINDEXES, FILEDIGESTS} <= entries.keys():
        return
    algorithm = "md5"
    if FILEDIGESTALGO in entries:
        algorithm = ALGORITHMS.get(int32s(FILEDIGESTALGO)[0], "md5")
    folders = strings(DIRNAMES)
    for name, folder, digest in zip(
        strings(BASENAMES), int32s(DIRINDEXES), strings(FILEDIGESTS), strict=True
    ):
        if digest:  # folders, links and ghosts have none
            yield folders[folder] + name, algorithm, digest


def rpm_files(root: ImageRoot) -> Iterator[tuple[str, str, str]]:
    if not root.is_file(RPMDB):
        return
    with tempfile.TemporaryDirectory(prefix="imagewright-rpmdb-") as work:
        copy = Path(work) / "rpmdb.sqlite"
        for suffix in ("", "-wal"):
            if root.is_file(RPMDB + suffix):
                shutil.copyfile(root.resolve(RPMDB + suffix), str(copy) + suffix)
        connection = sqlite3.connect(copy)
        try:
            for (blob,) in connection.execute("SELECT blob FROM Packages"):
                yield from header_files(bytes(blob))
        finally:
            connection.close()

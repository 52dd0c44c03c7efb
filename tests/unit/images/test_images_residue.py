from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest

from imagewright.errors import UnsafePathError
from imagewright.images.residue import BLOCK, Fingerprints, find_residue


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_blocks_of_a_removed_file_are_found_where_they_lie(tmp_path: Path) -> None:
    secret = os.urandom(3 * BLOCK + 700)  # three full blocks and a tail
    fingerprints = Fingerprints()
    assert fingerprints.add_file(_file(tmp_path, "secret", secret), "/root/secret") == 4
    disk = tmp_path / "disk.raw"
    with disk.open("wb") as handle:
        handle.truncate(64 << 20)  # mostly holes
        handle.seek(5 * BLOCK)
        handle.write(secret[: 2 * BLOCK])  # two blocks next to each other
        handle.seek(40 << 20)
        handle.write(secret[3 * BLOCK :].ljust(BLOCK, b"\0"))  # the tail, padded like a fs does
        handle.seek((50 << 20) + 1000)
        handle.write(secret[2 * BLOCK : 3 * BLOCK])  # off the block grid: not a stored block
    hits = find_residue(disk, fingerprints, phases=[0])
    assert [(h.offset, h.block) for h in hits] == [
        (5 * BLOCK, 0),
        (6 * BLOCK, 1),
        (40 << 20, 3),
    ]
    assert {h.image_path for h in hits} == {PurePosixPath("/root/secret")}


def test_a_partition_that_starts_off_the_4k_grid_is_scanned_on_its_own_grid(
    tmp_path: Path,
) -> None:
    secret = os.urandom(BLOCK)
    fingerprints = Fingerprints()
    fingerprints.add_bytes(secret, "/etc/key")
    disk = tmp_path / "disk.raw"
    start = 63 * 512  # an old MBR layout
    disk.write_bytes(bytes(start + 2 * BLOCK) + secret + bytes(BLOCK))
    assert find_residue(disk, fingerprints, phases=[0]) == []
    [hit] = find_residue(disk, fingerprints, phases=[0, start])
    assert hit.offset == start + 2 * BLOCK


def test_filler_blocks_and_short_tails_are_not_evidence(tmp_path: Path) -> None:
    fingerprints = Fingerprints()
    filler = b"\0" * BLOCK + b"ab" * (BLOCK // 2) + b"x" * 10
    assert fingerprints.add_file(_file(tmp_path, "filler", filler)) == 0
    assert len(fingerprints) == 0
    assert find_residue(_file(tmp_path, "disk", filler), fingerprints, phases=[0]) == []


def test_symlinks_and_special_files_are_not_followed(tmp_path: Path) -> None:
    target = _file(tmp_path, "target", os.urandom(BLOCK))
    (tmp_path / "link").symlink_to(target)
    fingerprints = Fingerprints()
    with pytest.raises(UnsafePathError, match="fingerprint"):
        fingerprints.add_file(tmp_path / "link")
    assert fingerprints.add_file(Path("/dev/null")) == 0
    assert len(fingerprints) == 0


def test_identical_blocks_report_every_file_they_came_from(tmp_path: Path) -> None:
    shared = os.urandom(BLOCK)
    fingerprints = Fingerprints()
    fingerprints.add_bytes(shared, "/a")
    fingerprints.add_bytes(shared, "/b")
    hits = find_residue(_file(tmp_path, "disk", shared), fingerprints, phases=[0])
    assert sorted(str(h.image_path) for h in hits) == ["/a", "/b"]

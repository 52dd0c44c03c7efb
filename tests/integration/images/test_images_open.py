from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest

from imagewright.images.target import open_target

pytestmark = pytest.mark.integration

MakeCopy = Callable[[str | Path], Path]


def test_directory_opens_in_place(base_tree: Path) -> None:
    with open_target(base_tree, writable=False) as opened:
        assert opened.kind == "directory"
        assert opened.root.root == base_tree
        assert opened.raw_disk is None
        assert "bookworm" in opened.root.read_text("/etc/os-release")


def test_bare_ext4_opens_read_only(ext4_image: Path, tmp_path: Path) -> None:
    before = ext4_image.read_bytes()[: 1 << 20]
    with open_target(ext4_image, writable=False, work_dir=tmp_path / "work") as opened:
        assert opened.kind == "raw"
        assert opened.raw_disk == ext4_image
        [root] = opened.filesystems
        assert (root.fstype, root.mountpoint, root.offset) == ("ext4", PurePosixPath("/"), 0)
        assert root.size == ext4_image.stat().st_size
        assert opened.root.is_file("/usr/sbin/sshd")
        with pytest.raises(OSError, match="Read-only"):
            opened.root.write_text("/etc/motd", "changed")
    assert ext4_image.read_bytes()[: 1 << 20] == before


def test_writable_raw_round_trip(ext4_image: Path, copy_of: MakeCopy, tmp_path: Path) -> None:
    image = copy_of(ext4_image)
    with open_target(image, writable=True, work_dir=tmp_path / "work") as opened:
        opened.root.write_text("/etc/motd", "changed\n")
        os.chown(opened.root.resolve("/etc/motd"), 1234, 5678)
    with open_target(image, writable=False, work_dir=tmp_path / "work") as opened:
        assert opened.root.read_text("/etc/motd") == "changed\n"
        info = opened.root.lstat("/etc/motd")
        assert info is not None
        assert (info.st_uid, info.st_gid) == (1234, 5678)

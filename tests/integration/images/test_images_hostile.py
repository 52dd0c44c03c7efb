"""Hostile and broken targets: nothing on the host changes, errors are clear, nothing leaks."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from imagewright.errors import BadTargetError, ImagewrightError
from imagewright.images.disk import make_disk
from imagewright.images.freespace import wipe_free_space
from imagewright.images.target import open_target
from imagewright.mounts import is_mountpoint, mount, mounts_below

pytestmark = pytest.mark.integration

BuildDisk = Callable[
    [Path, list[tuple[Path, str, str, int]], Callable[[list[str]], str], Path], None
]


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in folder.rglob("*")
        if p.is_file()
    }


@pytest.fixture(scope="module")
def small_gpt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small GPT disk (one ext4 root partition) to break in different ways."""
    folder = tmp_path_factory.mktemp("small")
    tree = folder / "tree"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc/os-release").write_text("ID=debian\n")
    disk = folder / "small.img"
    make_disk(tree, disk, table="gpt", size_bytes=40 << 20, work_dir=folder / "work")
    return disk


def test_fstab_cannot_mount_onto_host_folders(
    special_tree: Path, tmp_path: Path, disk_builder: BuildDisk
) -> None:
    victim = tmp_path / "host-victim"
    (victim / "sub").mkdir(parents=True)
    (victim / "sub/precious").write_text("host data\n")
    before = _snapshot(victim)
    # Inside the image: a mount point that is an absolute link to the host folder, a parent
    # folder that is one, and a mount point that climbs out with '..'.
    (special_tree / "evil").symlink_to(victim)
    (special_tree / "srv").symlink_to(victim)
    # The same path also exists inside the image: that is where /evil must be mounted.
    (special_tree / str(victim).lstrip("/") / "sub").mkdir(parents=True)
    data = tmp_path / "data-tree"
    data.mkdir()
    (data / "from-data").write_text("data partition\n")
    (data / "sub").mkdir()
    climb = "/.." * 12 + str(victim / "sub")
    fstab = (
        "LABEL=data /evil ext4 defaults 0 2\n"
        "LABEL=data /srv/sub ext4 defaults 0 2\n"
        f"LABEL=data {climb} ext4 defaults 0 2\n"
        "LABEL=data /home/user/link ext4 defaults 0 2\n"
    )
    disk = tmp_path / "hostile.img"
    disk_builder(
        disk,
        [(special_tree, "ext4", "root", 24 << 20), (data, "ext4", "data", 16 << 20)],
        lambda _: fstab,
        tmp_path / "build",
    )
    for writable in (False, True):
        with open_target(disk, writable=writable, work_dir=tmp_path / "work") as opened:
            root = opened.root.root
            assert not is_mountpoint(victim) and not is_mountpoint(victim / "sub")
            for point in mounts_below(root):
                assert point == root or root in point.parents
            for filesystem in opened.filesystems:
                assert root in opened.host_path(filesystem).parents or (
                    opened.host_path(filesystem) == root
                )
            mounted = sorted(str(f.mountpoint) for f in opened.filesystems)
            # /evil and the parent link land on the image's own copy of the path, '..' too.
            assert mounted == ["/", str(victim), str(victim / "sub"), str(victim / "sub")]
            if writable:
                for filesystem in opened.filesystems[1:]:
                    (opened.host_path(filesystem) / "written").write_text("inside\n")
    assert _snapshot(victim) == before


def test_corrupt_partition_table_is_a_clear_error(small_gpt: Path, tmp_path: Path) -> None:
    disk = tmp_path / "corrupt.img"
    shutil.copyfile(small_gpt, disk)
    size = disk.stat().st_size
    with disk.open("r+b") as handle:
        for header in (512, size - 512):  # primary and backup GPT headers
            handle.seek(header + 16)  # their CRC32
            handle.write(b"\xde\xad\xbe\xef")
    with (
        pytest.raises(BadTargetError, match=r"(?i)partition table|corrupt"),
        open_target(disk, writable=False, work_dir=tmp_path / "work"),
    ):
        pass


def test_truncated_image_is_a_clear_error(small_gpt: Path, tmp_path: Path) -> None:
    disk = tmp_path / "truncated.img"
    shutil.copyfile(small_gpt, disk)
    os.truncate(disk, disk.stat().st_size // 2)
    with (
        pytest.raises(BadTargetError, match="truncated"),
        open_target(disk, writable=False, work_dir=tmp_path / "work"),
    ):
        pass


def test_truncated_bare_file_system_is_a_clear_error(ext4_image: Path, tmp_path: Path) -> None:
    disk = tmp_path / "truncated.img"
    with ext4_image.open("rb") as source, disk.open("wb") as handle:
        handle.write(source.read(8 << 20))
    with (
        pytest.raises(BadTargetError, match=r"cannot mount|no root"),
        open_target(disk, writable=False, work_dir=tmp_path / "work"),
    ):
        pass


@pytest.mark.parametrize("content", [b"just some text\n" * 1000, b"", os.urandom(1 << 20)])
def test_a_file_that_is_no_image_is_a_clear_error(tmp_path: Path, content: bytes) -> None:
    target = tmp_path / "notes.img"
    target.write_bytes(content)
    with (
        pytest.raises(BadTargetError, match="not a disk image"),
        open_target(target, writable=False, work_dir=tmp_path / "work"),
    ):
        pass


def test_a_disk_without_a_root_file_system(tmp_path: Path) -> None:
    disk = tmp_path / "data.img"
    data = tmp_path / "data"
    (data / "files").mkdir(parents=True)
    make_disk(data, disk, table="none", size_bytes=32 << 20, write_fstab=False)
    with (
        pytest.raises(BadTargetError, match="no root file system"),
        open_target(disk, writable=False, work_dir=tmp_path / "work"),
    ):
        pass


def test_read_only_file_system_refuses_writable_opening(small_gpt: Path, tmp_path: Path) -> None:
    disk = tmp_path / "readonly.img"
    shutil.copyfile(small_gpt, disk)
    with open_target(disk, writable=False, work_dir=tmp_path / "work") as opened:
        offset = opened.filesystems[0].offset
    loop = subprocess.run(
        ["losetup", "--find", "--show", f"--offset={offset}", disk],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    try:
        subprocess.run(["tune2fs", "-O", "read-only", loop], check=True, capture_output=True)
    finally:
        subprocess.run(["losetup", "--detach", loop], check=True)
    with (
        pytest.raises(BadTargetError, match="read-only"),
        open_target(disk, writable=True, work_dir=tmp_path / "work"),
    ):
        pass
    with open_target(disk, writable=False, work_dir=tmp_path / "work") as opened:
        assert opened.root.is_file("/etc/os-release")


def test_full_file_system_can_still_be_wiped(small_gpt: Path, tmp_path: Path) -> None:
    disk = tmp_path / "full.img"
    shutil.copyfile(small_gpt, disk)
    with open_target(disk, writable=True, work_dir=tmp_path / "work") as opened:
        with pytest.raises(OSError) as raised:
            opened.root.write_bytes("/filler", bytes(64 << 20))
        assert raised.value.errno == errno.ENOSPC
        results = wipe_free_space(opened)
        assert [r.method for r in results] == ["zerofree"]
        assert opened.root.is_file("/etc/os-release")


def test_commit_onto_a_full_disk_keeps_the_old_archive(special_tree: Path, tmp_path: Path) -> None:
    small = tmp_path / "small-fs.img"
    (tmp_path / "work").mkdir()
    make_disk(tmp_path / "work", small, table="none", size_bytes=32 << 20, write_fstab=False)
    place = tmp_path / "place"
    place.mkdir()
    with mount(small, place, options=("loop",)):
        archive = place / "image.tar"
        subprocess.run(["tar", "-cf", archive, "-C", special_tree, "."], check=True)
        before = hashlib.sha256(archive.read_bytes()).hexdigest()
        with (
            pytest.raises(ImagewrightError, match="cannot write"),
            open_target(archive, writable=True, work_dir=tmp_path / "work") as opened,
        ):
            opened.root.write_bytes("/big", os.urandom(40 << 20))
        assert hashlib.sha256(archive.read_bytes()).hexdigest() == before
        assert not [p for p in place.iterdir() if "partial" in p.name]


def test_unsupported_file_systems_are_named(tmp_path: Path) -> None:
    disk = tmp_path / "swap.img"
    with disk.open("wb") as handle:
        handle.truncate(16 << 20)
    subprocess.run(["mkswap", disk], check=True, capture_output=True)
    with (
        pytest.raises(BadTargetError, match=r"no supported root file system \(found: swap\)"),
        open_target(disk, writable=False, work_dir=tmp_path / "work"),
    ):
        pass

"""The in-process shredder: what it overwrites, what it never opens, what it refuses."""

from __future__ import annotations

import os
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from imagewright.sanitize.shred import Shredder, Target


def shred(path: Path, **kwargs: object) -> list[object]:
    outcomes = Shredder(**kwargs).shred([Target(path.parent, path.name, f"/{path.name}")])  # type: ignore[arg-type]
    return list(outcomes)


def test_regular_file_is_overwritten_then_removed(tmp_path: Path) -> None:
    victim = tmp_path / "secret"
    victim.write_bytes(b"s3cr3t" * 1000)
    other = tmp_path / "hardlink"
    os.link(victim, other)
    seen: list[bytes] = []

    def capture(fd: int, label: str) -> None:
        seen.append(os.read(fd, 100))

    (outcome,) = Shredder(on_content=capture).shred([Target(tmp_path, "secret", "/secret")])
    assert not victim.exists()
    assert seen == [b"s3cr3t" * 16 + b"s3cr"]
    # The shared inode was wiped and truncated like shred does; the other name stays.
    assert other.read_bytes() == b""
    assert outcome.error is None and outcome.note and "hard link" in outcome.note
    assert outcome.bytes_overwritten >= 6000
    assert [p.name for p in tmp_path.iterdir()] == ["hardlink"]


def test_symlink_is_removed_and_its_target_untouched(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_text("keep me")
    link = tmp_path / "link"
    link.symlink_to(target)
    (outcome,) = shred(link)
    assert not link.is_symlink()
    assert target.read_text() == "keep me"
    assert outcome.kind == "symlink"  # type: ignore[attr-defined]


def test_fifo_socket_and_device_are_removed_without_being_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    device = tmp_path / "null"
    os.mknod(device, stat.S_IFCHR | 0o600, os.makedev(1, 3))
    outcomes = Shredder().shred(
        [Target(tmp_path, "fifo", "/fifo"), Target(tmp_path, "null", "/null")]
    )
    assert [o.kind for o in outcomes] == ["fifo", "device"]
    assert list(tmp_path.iterdir()) == []


@pytest.fixture
def ext4(tmp_path: Path) -> Iterator[Path]:
    """A real ext4 file system (for inode flags), mounted on a loop device."""
    image = tmp_path / "fs.img"
    with image.open("wb") as handle:
        handle.truncate(32 << 20)
    subprocess.run(["mkfs.ext4", "-q", image], check=True)
    mountpoint = tmp_path / "mnt"
    mountpoint.mkdir()
    subprocess.run(["mount", "-o", "loop", image, mountpoint], check=True)
    try:
        yield mountpoint
    finally:
        subprocess.run(["chattr", "-R", "-i", "-a", mountpoint], check=False)
        subprocess.run(["umount", mountpoint], check=True)


@pytest.mark.root
@pytest.mark.parametrize(("flag", "word"), [("+i", "immutable"), ("+a", "append-only")])
def test_protected_file_gives_a_clear_error(ext4: Path, flag: str, word: str) -> None:
    victim = ext4 / "protected"
    victim.write_text("secret")
    subprocess.run(["chattr", flag, victim], check=True)
    (outcome,) = shred(victim)
    assert outcome.error and word in outcome.error and "chattr" in outcome.error  # type: ignore[attr-defined]
    assert victim.read_text() == "secret"


def test_sparse_file_keeps_its_holes_and_large_files_work(tmp_path: Path) -> None:
    sparse = tmp_path / "sparse"
    with sparse.open("wb") as handle:
        handle.seek(8 << 30)
        handle.write(b"tail secret")
    large = tmp_path / "large"
    large.write_bytes(os.urandom(24 << 20))
    outcomes = Shredder(passes=1).shred(
        [Target(tmp_path, "sparse", "/sparse"), Target(tmp_path, "large", "/large")]
    )
    assert [o.error for o in outcomes] == [None, None]
    assert outcomes[0].bytes_overwritten < 1 << 20  # only the data extent, not 8 GiB
    assert outcomes[1].bytes_overwritten >= 24 << 20
    assert list(tmp_path.iterdir()) == []


def test_unwritable_file_is_made_writable_like_shred_f(tmp_path: Path) -> None:
    victim = tmp_path / "readonly"
    victim.write_text("secret")
    victim.chmod(0o400)
    (outcome,) = shred(victim)
    assert outcome.error is None  # type: ignore[attr-defined]
    assert not victim.exists()


def test_truncate_keeps_the_inode_and_mode(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_text("old lines\n")
    log.chmod(0o640)
    inode = log.stat().st_ino
    (outcome,) = Shredder().shred([Target(tmp_path, "log", "/log", keep=True)])
    assert outcome.error is None
    assert log.read_bytes() == b""
    assert log.stat().st_ino == inode and stat.S_IMODE(log.stat().st_mode) == 0o640


@pytest.mark.root
def test_many_files_in_many_folders(ext4: Path) -> None:
    targets = []
    for folder in range(10):
        (ext4 / str(folder)).mkdir()
        for index in range(60):
            name = f"file-{index:04d}"
            (ext4 / str(folder) / name).write_text(name)
            targets.append(Target(ext4 / str(folder), name, name))
    (ext4 / "0" / "0000").write_text("a name every shorter name collides with")
    outcomes = Shredder().shred(targets)
    assert all(o.error is None for o in outcomes)
    assert [p.name for p in (ext4 / "0").iterdir()] == ["0000"]
    assert all(not any((ext4 / str(folder)).iterdir()) for folder in range(1, 10))

"""Residue after `rm`, wiping free space and re-packing, on real file systems."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from imagewright.images.disk import make_disk
from imagewright.images.freespace import wipe_free_space
from imagewright.images.repack import repack
from imagewright.images.residue import Fingerprints, find_residue
from imagewright.images.target import OpenedImage, open_target

pytestmark = pytest.mark.integration

MakeCopy = Callable[[str | Path], Path]
TreeFacts = Callable[[Path], dict[str, tuple[object, ...]]]

SECRET_FILES = ("/root/secret.key", "/boot/secret.key")


def _plant(image: Path, work: Path) -> None:
    with open_target(image, writable=True, work_dir=work) as opened:
        for path in SECRET_FILES:
            if opened.root.is_dir(str(Path(path).parent)):
                opened.root.write_bytes(path, os.urandom(300_000))


def _fingerprint_and_remove(opened: OpenedImage) -> Fingerprints:
    fingerprints = Fingerprints()
    for path in SECRET_FILES:
        if opened.root.is_file(path):
            assert fingerprints.add_file(opened.root.resolve(path), path) > 70
            opened.root.resolve(path).unlink()
    opened.sync()
    return fingerprints


def _allocated(path: Path) -> int:
    return path.stat().st_blocks * 512


def test_wipe_removes_residue_from_ext4(
    ext4_image: Path, copy_of: MakeCopy, tmp_path: Path
) -> None:
    image = copy_of(ext4_image)
    work = tmp_path / "work"
    _plant(image, work)
    with open_target(image, writable=True, work_dir=work) as opened:
        fingerprints = _fingerprint_and_remove(opened)
        assert opened.raw_disk is not None
        hits = find_residue(opened.raw_disk, fingerprints)
        assert len({h.block for h in hits}) >= 70, "plain rm leaves the blocks on the disk"
        allocated = _allocated(image)
        assert [r.method for r in wipe_free_space(opened)] == ["zerofree"]
        assert find_residue(opened.raw_disk, fingerprints) == []
        assert _allocated(image) <= allocated, "the image must stay sparse"
        assert opened.root.is_file("/usr/sbin/sshd")
    subprocess.run(["e2fsck", "-fn", image], check=True, capture_output=True)


def test_wipe_and_repack_on_xfs_root_with_ext4_boot(
    gpt_image: Path, copy_of: MakeCopy, tmp_path: Path, tree_facts: TreeFacts
) -> None:
    image = copy_of(gpt_image)
    work = tmp_path / "work"
    _plant(image, work)
    with open_target(image, writable=True, work_dir=work) as opened:
        fingerprints = _fingerprint_and_remove(opened)
        assert opened.raw_disk is not None
        hits = find_residue(opened.raw_disk, fingerprints)
        assert {str(h.image_path) for h in hits} == set(SECRET_FILES)
        assert [r.method for r in wipe_free_space(opened)] == ["fill", "zerofree"]
        assert find_residue(opened.raw_disk, fingerprints) == []

        opened.root.write_bytes("/root/second.key", os.urandom(100_000))
        opened.sync()  # delayed allocation: unflushed data never reaches the disk
        second = Fingerprints()
        second.add_file(opened.root.resolve("/root/second.key"), "/root/second.key")
        opened.root.resolve("/root/second.key").unlink()
        opened.sync()
        assert find_residue(opened.raw_disk, second)
        before = tree_facts(opened.root.root)
        uuids = [(f.uuid, f.label) for f in opened.filesystems]
        repacked = repack(opened)
        assert [f.fstype for f in repacked] == ["xfs", "ext4"]
        assert find_residue(opened.raw_disk, second) == []
        assert tree_facts(opened.root.root) == before
        assert [(f.uuid, f.label) for f in opened.filesystems] == uuids
    with open_target(image, writable=False, work_dir=work) as opened:
        assert opened.root.read_text("/boot/boot-marker") == "from the boot partition\n"
        assert [(f.uuid, f.label) for f in opened.filesystems] == uuids


def test_btrfs_is_repacked_because_it_cannot_be_wiped_in_place(
    special_tree: Path, tmp_path: Path, tree_facts: TreeFacts
) -> None:
    (special_tree / "root").mkdir()
    image = tmp_path / "btrfs.img"
    make_disk(special_tree, image, fstype="btrfs", table="gpt", work_dir=tmp_path / "work")
    work = tmp_path / "work"
    _plant(image, work)
    # A copy of the same file system attached elsewhere (another build, a scan) must not stop
    # the re-pack: mkfs.btrfs refuses UUIDs it sees on other devices.
    twin = tmp_path / "twin.img"
    subprocess.run(["cp", "--sparse=always", image, twin], check=True)
    twin_device = subprocess.run(
        ["losetup", "--find", "--show", twin], check=True, capture_output=True, text=True
    ).stdout.strip()
    try:
        with open_target(image, writable=True, work_dir=work) as opened:
            fingerprints = _fingerprint_and_remove(opened)
            assert opened.raw_disk is not None
            assert find_residue(opened.raw_disk, fingerprints)
            before = tree_facts(opened.root.root)
            assert [r.method for r in wipe_free_space(opened)] == ["repack"]
            assert find_residue(opened.raw_disk, fingerprints) == []
            assert tree_facts(opened.root.root) == before
    finally:
        subprocess.run(["losetup", "--detach", twin_device], check=True)


def test_residue_on_a_file_system_with_1k_blocks(special_tree: Path, tmp_path: Path) -> None:
    image = tmp_path / "small-blocks.img"
    with image.open("wb") as handle:
        handle.truncate(64 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-b", "1024", "-d", special_tree, image], check=True)
    (tmp_path / "work").mkdir()
    with open_target(image, writable=True, work_dir=tmp_path / "work") as opened:
        opened.root.write_bytes("/etc/secret.key", os.urandom(64 << 10))
        opened.sync()
        fingerprints = Fingerprints()
        blocks = fingerprints.add_file(opened.root.resolve("/etc/secret.key"), "/etc/secret.key")
        opened.root.resolve("/etc/secret.key").unlink()
        opened.sync()
        assert opened.raw_disk is not None
        # 4096-byte blocks of the file start on any 1 KiB boundary of this file system
        assert len(find_residue(opened.raw_disk, fingerprints)) == blocks == 16
        wipe_free_space(opened)
        assert find_residue(opened.raw_disk, fingerprints) == []

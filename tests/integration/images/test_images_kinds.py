from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest

from imagewright.images.archive import unpack
from imagewright.images.target import open_target
from imagewright.mounts import mounts_below

pytestmark = pytest.mark.integration

MakeCopy = Callable[[str | Path], Path]
TreeFacts = Callable[[Path], dict[str, tuple[object, ...]]]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_gpt_mounts_boot_from_fstab_and_finds_the_xfs_root(gpt_image: Path, tmp_path: Path) -> None:
    listed = json.loads(
        subprocess.run(["sfdisk", "--json", gpt_image], capture_output=True, check=True).stdout
    )["partitiontable"]["partitions"]
    with open_target(gpt_image, writable=False, work_dir=tmp_path / "work") as opened:
        described = [
            (f.mountpoint, f.fstype, f.partition, f.offset, f.size, f.label)
            for f in opened.filesystems
        ]
        assert described == [
            (
                PurePosixPath("/"),
                "xfs",
                1,
                listed[0]["start"] * 512,
                listed[0]["size"] * 512,
                "root",
            ),
            (
                PurePosixPath("/boot"),
                "ext4",
                2,
                listed[1]["start"] * 512,
                listed[1]["size"] * 512,
                "boot",
            ),
        ]
        assert opened.root.read_text("/boot/boot-marker") == "from the boot partition\n"
        assert set(mounts_below(opened.root.root)) == {opened.root.root, opened.root.root / "boot"}
        assert opened.root.is_file("/usr/sbin/sshd")


def test_qcow2_round_trip(qcow2_image: Path, copy_of: MakeCopy, tmp_path: Path) -> None:
    image = copy_of(qcow2_image)
    with open_target(image, writable=True, work_dir=tmp_path / "work") as opened:
        assert opened.kind == "qcow2"
        assert opened.raw_disk is not None and opened.raw_disk.parent.parent == tmp_path / "work"
        opened.root.write_text("/boot/changed", "in the boot fs\n")
        opened.root.write_text("/etc/changed", "in the root fs\n")
    assert not list((tmp_path / "work").iterdir()), "the work copy must be removed"
    subprocess.run(["qemu-img", "check", image], check=True, capture_output=True)
    with open_target(image, writable=False, work_dir=tmp_path / "work") as opened:
        assert opened.root.read_text("/boot/changed") == "in the boot fs\n"
        assert opened.root.read_text("/etc/changed") == "in the root fs\n"


def test_read_only_qcow2_leaves_the_source_untouched(qcow2_image: Path, tmp_path: Path) -> None:
    before = (_sha256(qcow2_image), qcow2_image.stat().st_mtime_ns)
    with open_target(qcow2_image, writable=False, work_dir=tmp_path / "work") as opened:
        assert opened.root.is_file("/boot/boot-marker")
    assert (_sha256(qcow2_image), qcow2_image.stat().st_mtime_ns) == before


def _tar(tree: Path, archive: Path, *compression: str) -> Path:
    subprocess.run(
        [
            "tar",
            "--numeric-owner",
            "--xattrs",
            "--xattrs-include=*",
            "--acls",
            "--sparse",
            *compression,
            "-cf",
            archive,
            "-C",
            tree,
            ".",
        ],
        check=True,
    )
    return archive


@pytest.mark.parametrize(("compression", "magic"), [((), b""), (("--gzip",), b"\x1f\x8b")])
def test_tar_round_trip_keeps_everything(
    special_tree: Path,
    tmp_path: Path,
    tree_facts: TreeFacts,
    compression: tuple[str, ...],
    magic: bytes,
) -> None:
    archive = _tar(special_tree, tmp_path / "image.tar", *compression)
    with open_target(archive, writable=True, work_dir=tmp_path / "work") as opened:
        assert opened.kind == "tar"
        assert opened.filesystems == [] and opened.raw_disk is None
        opened.root.write_text("/etc/added", "new\n")
    assert archive.read_bytes().startswith(magic)
    extracted = tmp_path / "extracted"
    extracted.mkdir()
    unpack(archive, extracted)
    assert (extracted / "etc/added").read_text() == "new\n"
    facts = tree_facts(extracted)
    facts.pop("etc/added")
    assert facts == tree_facts(special_tree)


def test_read_only_tar_is_not_rewritten(special_tree: Path, tmp_path: Path) -> None:
    archive = _tar(special_tree, tmp_path / "image.tar")
    before = _sha256(archive)
    with open_target(archive, writable=False, work_dir=tmp_path / "work") as opened:
        opened.root.write_text("/etc/scratch", "discarded\n")
    assert _sha256(archive) == before


def test_image_name_ending_in_a_digit(gpt_image: Path, copy_of: MakeCopy, tmp_path: Path) -> None:
    image = copy_of(gpt_image).rename(tmp_path / "disk1")  # sfdisk names partitions disk1p1
    with open_target(image, writable=False, work_dir=tmp_path / "work") as opened:
        assert [f.partition for f in opened.filesystems] == [1, 2]


def test_commit_through_a_link_keeps_the_link(special_tree: Path, tmp_path: Path) -> None:
    archive = _tar(special_tree, tmp_path / "image.tar")
    link = tmp_path / "current.tar"
    link.symlink_to(archive.name)
    with open_target(link, writable=True, work_dir=tmp_path / "work") as opened:
        opened.root.write_text("/etc/added", "new\n")
    assert link.is_symlink()
    extracted = tmp_path / "extracted"
    extracted.mkdir()
    unpack(archive, extracted)
    assert (extracted / "etc/added").read_text() == "new\n"

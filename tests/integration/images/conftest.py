"""Real disk images made once per session from the shared Debian base; tests work on copies.

Every test here runs with a leak check: no loop device backed by a file of the test and no mount
below the test's folders may be left when it ends.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.loop_support import loops_backed_below

from imagewright.images.archive import unpack
from imagewright.images.disk import PartitionLayout, export, fill_filesystem, make_disk
from imagewright.mounts import loop_attach, mount

MakeCopy = Callable[[str], Path]


@pytest.fixture(scope="session")
def images_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("images")


@pytest.fixture(scope="session")
def base_tree(debian_tarball: Path, images_dir: Path) -> Path:
    """The Debian base extracted once; read-only for tests (copy it before changing it)."""
    tree = images_dir / "tree"
    tree.mkdir()
    unpack(debian_tarball, tree)
    return tree


@pytest.fixture(scope="session")
def ext4_image(base_tree: Path, images_dir: Path) -> Path:
    """A bare ext4 file system image (no partition table) holding the Debian base."""
    output = images_dir / "ext4.img"
    make_disk(base_tree, output, fstype="ext4", table="none", work_dir=images_dir / "work")
    return output


@pytest.fixture
def copy_of(tmp_path: Path) -> MakeCopy:
    """copy_of(image) -> a sparse copy of a session image, for this test to change."""

    def copy(image: str | Path) -> Path:
        source = Path(image)
        destination = tmp_path / source.name
        subprocess.run(["cp", "--sparse=always", source, destination], check=True)
        return destination

    return copy


def mounts_containing(text: str) -> list[str]:
    with open("/proc/self/mounts") as mounts:
        return [line.split()[1] for line in mounts if text in line.split()[1]]


@pytest.fixture(autouse=True)
def no_leaks(tmp_path: Path) -> Iterator[None]:
    yield
    leftover_loops = loops_backed_below(tmp_path)
    leftover_mounts = mounts_containing(str(tmp_path))
    for device in leftover_loops:
        subprocess.run(["losetup", "--detach", device], check=False)
    assert not leftover_mounts, f"mounts left behind: {leftover_mounts}"
    assert not leftover_loops, f"loop devices left behind: {leftover_loops}"
    shutil.rmtree(tmp_path / "work", ignore_errors=True)


TreeFacts = dict[str, tuple[object, ...]]


def _tree_facts(root: Path) -> TreeFacts:
    """What a faithful copy must keep: type, mode, owner, size, device, link target, xattrs,
    which paths share an inode, and whether a sparse file still has its hole."""
    facts: TreeFacts = {}
    inodes: dict[int, str] = {}
    for path in sorted(root.rglob("*")):
        if path.name == "lost+found" and path.parent == root:
            continue
        info = path.lstat()
        name = str(path.relative_to(root))
        xattrs: tuple[tuple[str, bytes], ...] = ()
        if not path.is_symlink():
            # xfs also shows ACLs in its own format as trusted.SGI_ACL_*; the ACL is the same.
            names = [k for k in os.listxattr(path) if not k.startswith("trusted.SGI_ACL")]
            xattrs = tuple(sorted((k, os.getxattr(path, k)) for k in names))
        first = inodes.setdefault(info.st_ino, name) if info.st_nlink > 1 else name
        facts[name] = (
            info.st_mode,
            info.st_uid,
            info.st_gid,
            info.st_size if not stat.S_ISDIR(info.st_mode) else 0,
            info.st_rdev,
            os.readlink(path) if path.is_symlink() else None,
            xattrs,
            first,
            info.st_blocks * 512 < info.st_size if stat.S_ISREG(info.st_mode) else None,
        )
    return facts


@pytest.fixture
def tree_facts() -> Callable[[Path], TreeFacts]:
    """tree_facts(root) -> what a faithful copy of root must keep."""
    return _tree_facts


@pytest.fixture
def special_tree(tmp_path: Path) -> Path:
    """A small tree with everything a copy can lose: owners, setuid, ACLs, xattrs, hard links,
    device nodes, a fifo, symlinks, a sparse file and an empty folder."""
    root = tmp_path / "special"
    (root / "etc").mkdir(parents=True)
    (root / "etc/os-release").write_text("ID=debian\nVERSION_CODENAME=bookworm\n")
    (root / "bin").mkdir()
    tool = root / "bin/tool"
    tool.write_bytes(b"#!/bin/sh\necho tool\n")
    os.chown(tool, 0, 50)
    tool.chmod(0o4755)
    os.link(tool, root / "bin/tool-hardlink")
    os.setxattr(tool, "user.note", b"kept")
    os.setxattr(
        tool, "security.capability", bytes.fromhex("0100000200200000000000000000000000000000")
    )
    subprocess.run(["setfacl", "-m", "u:4321:rw", root / "etc/os-release"], check=True)
    (root / "dev").mkdir()
    os.mknod(root / "dev/null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    os.mkfifo(root / "dev/pipe")
    (root / "home/user").mkdir(parents=True)
    os.chown(root / "home/user", 1000, 1000)
    (root / "home/user/link").symlink_to("/etc/os-release")
    with open(root / "home/user/sparse", "wb") as handle:
        handle.truncate(8 << 20)
        handle.seek(4 << 20)
        handle.write(b"middle")
    (root / "empty").mkdir(mode=0o700)
    return root


PartitionSpec = tuple[Path, str, str, int]  # tree, fstype, label, size in bytes
BuildDisk = Callable[[Path, list[PartitionSpec], Callable[[list[str]], str], Path], None]


def build_disk(
    disk: Path, partitions: list[PartitionSpec], fstab: Callable[[list[str]], str], work: Path
) -> None:
    """A GPT disk with one file system per spec; fstab(partuuids) is written into the first
    one (the root)."""
    size = (2 << 20) + sum(size for *_, size in partitions)
    with disk.open("wb") as handle:
        handle.truncate(size)
    script = "label: gpt\n" + "".join(
        f"size={size // 512}, name={label}\n" for _, _, label, size in partitions
    )
    subprocess.run(["sfdisk", "--quiet", disk], input=script.encode(), check=True)
    table = json.loads(
        subprocess.run(["sfdisk", "--json", disk], capture_output=True, check=True).stdout
    )["partitiontable"]["partitions"]
    partuuids = [str(entry["uuid"]).lower() for entry in table]
    (work / "fstab").mkdir(parents=True, exist_ok=True)
    for index, ((tree, fstype, label, _), entry) in enumerate(zip(partitions, table, strict=True)):
        layout = PartitionLayout(
            "root", index + 1, entry["start"] * 512, entry["size"] * 512, fstype, None, label
        )
        with loop_attach(disk, partitions=False, offset=layout.offset, size=layout.size) as device:
            fill_filesystem(tree, device, layout, work)
            if index == 0:
                with mount(
                    device,
                    work / "fstab",
                    fstype=fstype,
                    options=("nouuid",) if fstype == "xfs" else (),
                ) as root:
                    (root / "etc").mkdir(exist_ok=True)
                    (root / "etc/fstab").write_text(fstab(partuuids))
                    os.sync()


@pytest.fixture
def disk_builder() -> BuildDisk:
    """disk_builder(disk, [(tree, fstype, label, size), ...], fstab(partuuids), work)"""
    return build_disk


@pytest.fixture(scope="session")
def gpt_image(base_tree: Path, images_dir: Path) -> Path:
    """GPT: partition 1 is the root (xfs, mounted by PARTUUID), partition 2 /boot (ext4, by
    LABEL); /boot holds a marker file that is not in the root file system."""
    boot = images_dir / "boot-tree"
    boot.mkdir()
    (boot / "boot-marker").write_text("from the boot partition\n")
    disk = images_dir / "gpt.img"
    specs = [
        (base_tree, "xfs", "root", 700 << 20),
        (boot, "ext4", "boot", 64 << 20),
    ]
    build_disk(
        disk,
        specs,
        lambda partuuids: (
            f"PARTUUID={partuuids[0]}\t/\txfs\tdefaults\t0 1\n"
            "LABEL=boot\t/boot\text4\tdefaults\t0 2\n"
            "tmpfs\t/tmp\ttmpfs\tdefaults\t0 0\n"
        ),
        images_dir / "work-gpt",
    )
    return disk


@pytest.fixture(scope="session")
def qcow2_image(gpt_image: Path, images_dir: Path) -> Path:
    return export(gpt_image, images_dir / "gpt.qcow2", format="qcow2")

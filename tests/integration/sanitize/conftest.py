"""Real dirty images for the sanitize tests, made once per session and copied per test.

Trees and disks live on tmpfs: every shred pass is flushed, and on a disk shared with other work
each flush can take a second. Every test is checked for leaks: no loop device backed by one of its
files and no mount below its folder may be left when it ends.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.loop_support import loops_backed_below
from tests.unit.sanitize.corpus import CORPUS, plant

from imagewright.images.archive import unpack
from imagewright.images.disk import make_disk

SHM = Path("/dev/shm")
MakeImage = Callable[[str], Path]


def _scratch(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix, dir=SHM if SHM.is_dir() else None))


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    path = _scratch("imagewright-sanitize-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def session_dir() -> Iterator[Path]:
    path = _scratch("imagewright-sanitize-session-")
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def dirty_tree(debian_tarball: Path, session_dir: Path) -> Path:
    """The Debian base with the whole planted corpus (read-only: copy it before changing it)."""
    tree = session_dir / "dirty-tree"
    tree.mkdir()
    unpack(debian_tarball, tree)
    for name in CORPUS:
        plant(tree, name)
    return tree


@pytest.fixture(scope="session")
def dirty_image(dirty_tree: Path, session_dir: Path) -> MakeImage:
    """dirty_image(kind) -> the dirty tree as an image of that kind, made once per session.

    Kinds: ext4 (GPT), ext4-bare (no partition table), xfs, btrfs, qcow2, tar."""
    made: dict[str, Path] = {}

    def make(kind: str) -> Path:
        if kind in made:
            return made[kind]
        work = session_dir / "work"
        if kind == "qcow2":
            output = session_dir / "dirty.qcow2"
            raw = make("ext4")
            subprocess.run(["qemu-img", "convert", "-O", "qcow2", raw, output], check=True)
        elif kind == "tar":
            output = session_dir / "dirty.tar"
            subprocess.run(
                ["tar", "--numeric-owner", "-cf", output, "-C", dirty_tree, "."], check=True
            )
        else:
            fstype = kind.removesuffix("-bare")
            output = session_dir / f"dirty-{kind}.raw"
            table = "none" if kind.endswith("-bare") else "gpt"
            make_disk(dirty_tree, output, fstype=fstype, table=table, work_dir=work)  # type: ignore[arg-type]
        made[kind] = output
        return output

    return make


@pytest.fixture
def copy_of(tmp_path: Path, dirty_image: MakeImage) -> MakeImage:
    """copy_of(kind) -> a sparse copy of the session's dirty image, for this test to change."""

    def copy(kind: str) -> Path:
        source = dirty_image(kind)
        destination = tmp_path / source.name
        subprocess.run(["cp", "--sparse=always", source, destination], check=True)
        return destination

    return copy


@pytest.fixture(autouse=True)
def no_leaks(tmp_path: Path) -> Iterator[None]:
    """A mount of an image keeps its loop device attached: no loop left means no mount left."""
    yield
    leftover = loops_backed_below(tmp_path)
    for device in leftover:
        subprocess.run(["losetup", "--detach", device], check=False)
    assert leftover == [], f"loop devices left behind: {leftover}"

"""Fixtures shared by integration tests."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from imagewright.mounts import mounts_below, unmount_tree


@pytest.fixture(scope="module")
def module_debian_tree(
    debian_tarball: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Path]:
    """One extracted Debian tree shared by a test module (its tests leave it usable for the next);
    cheaper than `debian_tree` when tests do not need a pristine copy each."""
    root = tmp_path_factory.mktemp("module-tree")
    subprocess.run(["tar", "--numeric-owner", "-xpf", debian_tarball, "-C", root], check=True)
    yield root
    leftover = mounts_below(root)
    unmount_tree(root)
    assert not leftover, f"mounts left behind below the image: {leftover}"

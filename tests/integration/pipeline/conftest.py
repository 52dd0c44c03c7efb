"""Fixtures of the real builds: a state folder whose cache of bases is shared across runs."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from imagewright.mounts import mounts_below

# Shared across runs like tests/conftest.py's bases: the Debian tarball and base disks.
PIPELINE_CACHE = (
    Path(os.environ.get("IMAGEWRIGHT_TEST_CACHE", "/var/cache/imagewright/test-bases"))
    / "pipeline-cache"
)


def loop_devices() -> str:
    return subprocess.run(
        ["losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    """A fresh state folder whose cache (bases) is shared with every other run."""
    PIPELINE_CACHE.mkdir(parents=True, exist_ok=True)
    folder = tmp_path / "state"
    folder.mkdir()
    (folder / "cache").symlink_to(PIPELINE_CACHE)
    yield folder
    assert not mounts_below(tmp_path), "mounts left behind"
    assert str(tmp_path) not in loop_devices(), "loop devices left behind"

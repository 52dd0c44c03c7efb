"""Unit trees live on tmpfs: shredding flushes every pass to the disk, and on a disk shared with
other work each flush can take a second; on tmpfs the same code runs without the wait."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SHM = Path("/dev/shm")


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    base = SHM if SHM.is_dir() else None
    path = Path(tempfile.mkdtemp(prefix="imagewright-sanitize-", dir=base))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)

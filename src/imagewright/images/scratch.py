"""Temporary work folders for mount points and work copies, removed only when nothing is mounted."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from imagewright.mounts import mounts_below, unmount_tree

log = logging.getLogger(__name__)

DEFAULT_WORK_DIR = Path("/var/tmp")


@contextmanager
def scratch_dir(work_dir: Path | None = None) -> Iterator[Path]:
    """A fresh folder below work_dir (default /var/tmp), deleted afterwards."""
    if work_dir is not None:
        work_dir.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="imagewright-", dir=work_dir or DEFAULT_WORK_DIR))
    try:
        yield scratch
    finally:
        # Never delete through a mount that failed to go away: that would delete image content.
        unmount_tree(scratch)
        if mounts_below(scratch):
            log.error("%s still has mounts below it; leaving it in place", scratch)
        else:
            shutil.rmtree(scratch, ignore_errors=True)

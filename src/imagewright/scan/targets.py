"""What `scan` can be pointed at, opened read-only for the length of the scan."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from imagewright.errors import BadTargetError
from imagewright.paths import ImageRoot
from imagewright.scan.raw import Region


@dataclass(slots=True)
class ScanTarget:
    name: str
    root: ImageRoot
    raw_disk: Path | None = None
    regions: list[Region] = field(default_factory=list)


@contextmanager
def open_scan_target(target: str) -> Iterator[ScanTarget]:
    path = Path(target)
    if path.is_dir():
        yield ScanTarget(target, ImageRoot(path))
        return
    raise BadTargetError(
        f"{target}: not a folder",
        hint="scan a folder that holds an image's root file system",
    )

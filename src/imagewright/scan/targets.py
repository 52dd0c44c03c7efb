"""What `scan` can be pointed at, opened read-only for the length of the scan: a folder, a raw,
qcow2 or tar image (through `images.target`), or a catalog image `name:version`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from imagewright.errors import BadTargetError
from imagewright.images.probe import Region, regions
from imagewright.images.target import open_target
from imagewright.paths import ImageRoot


@dataclass(slots=True)
class ScanTarget:
    name: str
    root: ImageRoot
    raw_disk: Path | None = None
    regions: list[Region] = field(default_factory=list)


def catalog_artifact(reference: str, state_directory: Path | None) -> Path:
    from imagewright.pipeline.catalog import find_image

    record = find_image(reference, state_directory)
    for format_name in ("raw", "qcow2", "tar"):
        artifact = record.artifact(format_name)
        if artifact is not None and artifact.path.exists():
            return artifact.path
    raise BadTargetError(
        f"catalog image {record.reference} has no raw, qcow2 or tar file to scan",
        hint="see 'imagewright images show " + record.reference + "'",
    )


@contextmanager
def open_scan_target(target: str, *, state_directory: Path | None = None) -> Iterator[ScanTarget]:
    path = Path(target)
    if not path.exists():
        if ":" not in target:
            raise BadTargetError(
                f"{target}: no such file or folder",
                hint="scan a folder, a raw/qcow2/tar image or a catalog image NAME:VERSION",
            )
        path = catalog_artifact(target, state_directory)
    with open_target(path, writable=False) as opened:
        raw = opened.raw_disk
        # Every region of the disk, not only the mounted ones: swap and unmounted partitions too.
        yield ScanTarget(target, opened.root, raw, regions(raw) if raw is not None else [])

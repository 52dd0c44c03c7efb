"""Operations on catalog entries behind `imagewright images`."""

from __future__ import annotations

import shutil
from pathlib import Path

from imagewright.errors import ConfigError, ImagewrightError, Problem
from imagewright.pipeline.catalog import Catalog, ImageRecord, ImageStatus, parse_reference


def _exact(catalog: Catalog, reference: str) -> ImageRecord:
    _, version = parse_reference(reference)
    if version.build is None:
        raise ConfigError(
            Problem(f"'{reference}' names no single build", field="reference"),
            hint="give the full build version, e.g. NAME:1.0.0/2 (see 'imagewright images list')",
        )
    return catalog.find(reference)


def delete(catalog: Catalog, reference: str, *, keep_files: bool = False) -> list[Path]:
    """Remove a build from the catalog and (unless keep_files) the artifacts and logs it wrote."""
    record = _exact(catalog, reference)
    if record.status == ImageStatus.building:
        raise ImagewrightError(
            f"{record.reference} is being built", hint="wait for it, or stop it first"
        )
    removed: list[Path] = []
    if not keep_files:
        for artifact in record.artifacts:
            if artifact.path.is_file():
                artifact.path.unlink()
                removed.append(artifact.path)
        if record.log_dir is not None and record.log_dir.is_dir():
            shutil.rmtree(record.log_dir)
            removed.append(record.log_dir)
        output = record.output_dir
        if output is not None and output.is_dir() and not any(output.iterdir()):
            output.rmdir()
    catalog.delete(record.id)
    return removed


def deprecate(catalog: Catalog, reference: str) -> None:
    record = _exact(catalog, reference)
    if record.status != ImageStatus.available:
        raise ImagewrightError(f"only available images can be deprecated ({record.status})")
    catalog.set_status(record.id, ImageStatus.deprecated)


def describe(record: ImageRecord) -> str:
    """A human-readable summary of one image build."""
    lines = [
        f"{record.reference}  [{record.status.value}]",
        f"  recipe:  {record.recipe_path or '-'}",
        f"  output:  {record.output_dir or '-'}",
        f"  logs:    {record.log_dir or '-'}",
    ]
    if record.error:
        lines.append(f"  error:   {record.error}")
    for key, value in sorted(record.notes.items()):
        lines.append(f"  {key}: {value}")
    for artifact in record.artifacts:
        lines.append(
            f"  {artifact.format:<6} {artifact.path}  sha256:{artifact.sha256}  "
            f"{artifact.size} bytes"
        )
    for distribution in record.distributions:
        lines.append(f"  distributed to {distribution.target}: {distribution.detail}")
    return "\n".join(lines)

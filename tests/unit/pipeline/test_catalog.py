from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

import pytest

from imagewright.cli import main
from imagewright.errors import ConfigError, ImagewrightError
from imagewright.pipeline.catalog import Artifact, Catalog, ImageStatus, find_image


def begin(catalog: Catalog, version: str = "1.0.0", name: str = "web") -> int:
    record = catalog.begin_build(
        name, version, recipe={"name": name}, recipe_path=None, work_dir=Path("/nonexistent")
    )
    assert record.status == ImageStatus.building
    return record.id


def finish(catalog: Catalog, image_id: int, tmp_path: Path) -> None:
    artifact = Artifact("raw", tmp_path / f"{image_id}.raw", "ab" * 32, 10)
    catalog.mark_available(image_id, [artifact])


def test_build_numbers_count_up_per_version(tmp_path: Path) -> None:
    with Catalog(tmp_path) as catalog:
        first, second = begin(catalog), begin(catalog)
        other = begin(catalog, "1.1.0")
        versions = [str(catalog.get(i).version) for i in (first, second, other)]
        assert versions == ["1.0.0/1", "1.0.0/2", "1.1.0/1"]
        journal = catalog._db.execute("PRAGMA journal_mode").fetchone()[0]
        assert journal == "wal"


def test_available_only_with_artifacts_and_lookup(tmp_path: Path) -> None:
    with Catalog(tmp_path) as catalog:
        first = begin(catalog)
        finish(catalog, first, tmp_path)
        second = begin(catalog)
        catalog.mark_failed(second, "step failed")
        record = catalog.get(first)
        assert record.status == ImageStatus.available
        assert record.artifact("raw") is not None
        # A failed build cannot become available afterwards.
        with pytest.raises(ImagewrightError, match="no longer being built"):
            finish(catalog, second, tmp_path)
        assert catalog.get(second).status == ImageStatus.failed
    assert find_image("web:1.0.0", tmp_path).version.build == 2
    assert find_image("web:1.0.0/1", tmp_path).status == ImageStatus.available
    assert find_image("web", tmp_path).version.build == 2
    with pytest.raises(ConfigError, match="did you mean 'web'"):
        find_image("wbe:1.0.0", tmp_path)


def _start_build_and_die(state: str) -> None:
    with Catalog(Path(state)) as catalog:
        begin(catalog)
    os._exit(0)


def test_builds_of_dead_processes_become_failed(tmp_path: Path) -> None:
    process = multiprocessing.get_context("fork").Process(
        target=_start_build_and_die, args=(str(tmp_path),)
    )
    process.start()
    process.join()
    with Catalog(tmp_path) as catalog:
        alive = begin(catalog)  # this process is alive: its build is left alone
        stale = catalog.reap_stale()
        assert [r.version.build for r in stale] == [1]
        assert stale[0].status == ImageStatus.failed
        assert "interrupted" in (stale[0].error or "")
        assert catalog.get(alive).status == ImageStatus.building


def test_distributions_are_recorded(tmp_path: Path) -> None:
    with Catalog(tmp_path) as catalog:
        image = begin(catalog)
        catalog.add_distribution(image, "s3://bucket/prefix", {"accounts": ["123456789012"]})
        assert catalog.get(image).distributions[0].detail == {"accounts": ["123456789012"]}


def test_images_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    artifact = tmp_path / "out" / "web.raw"
    artifact.parent.mkdir()
    artifact.write_bytes(b"x")
    with Catalog(tmp_path) as catalog:
        image = begin(catalog)
        catalog.mark_available(image, [Artifact("raw", artifact, "00" * 32, 1)])
    state = ["--state-dir", str(tmp_path)]
    assert main(["images", "list", "--json", *state]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [(i["name"], i["version"], i["status"]) for i in listed] == [
        ("web", "1.0.0/1", "available")
    ]
    assert main(["images", "list", *state]) == 0
    assert "1.0.0/1" in capsys.readouterr().out
    assert main(["images", "show", "web:1.0.0", *state]) == 0
    assert "sha256:" in capsys.readouterr().out
    assert main(["images", "delete", "web:1.0.0", *state]) == 2  # not a single build
    assert "names no single build" in capsys.readouterr().err
    assert main(["images", "delete", "web:1.0.0/1", *state]) == 0
    assert not artifact.exists()
    assert main(["images", "show", "web:1.0.0", *state]) == 2

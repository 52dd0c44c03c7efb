"""Every operation on its planted corpus: dirty -> clean, dry run changes nothing, idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.unit.sanitize.corpus import CORPUS, content, plant, present, snapshot

from imagewright.paths import ImageRoot
from imagewright.sanitize import OPERATIONS, Profile
from imagewright.sanitize.changes import Status
from imagewright.sanitize.engine import sanitize_root

NAMES = OPERATIONS.names()


def run_one(root: Path, name: str, *, dry_run: bool = False) -> list[str]:
    op = OPERATIONS.get(name)
    profile = Profile.extended if Profile.extended in op.profiles else Profile.ec2_image_builder
    report = sanitize_root(ImageRoot(root), profile=profile, operations=[op], dry_run=dry_run)
    (result,) = report.operations
    assert not report.failures(), report.failures()
    return [p.path for p in result.paths if p.status in (Status.done, Status.planned)]


@pytest.mark.parametrize("name", NAMES)
def test_operation_cleans_its_corpus(name: str, tmp_path: Path) -> None:
    entry = plant(tmp_path, name)
    before = snapshot(tmp_path)

    planned = run_one(tmp_path, name, dry_run=True)
    assert snapshot(tmp_path) == before, "the dry run changed the tree"
    assert set(entry.files) <= set(planned)

    done = run_one(tmp_path, name)
    assert set(entry.files) <= set(done)
    for path in entry.files:
        assert not present(tmp_path, path), f"{path} survived {name}"
    for path in entry.kept:
        assert content(tmp_path, path) == before[str(tmp_path / path[1:])][1]
    for path, expected in entry.after.items():
        assert content(tmp_path, path) == expected

    after_first = snapshot(tmp_path)
    assert run_one(tmp_path, name) == [], "the second run changed something"
    assert snapshot(tmp_path) == after_first


def test_every_operation_has_a_corpus_entry() -> None:
    assert sorted(CORPUS) == NAMES

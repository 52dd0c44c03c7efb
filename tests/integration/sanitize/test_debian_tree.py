"""Both profiles on the real Debian tree with the whole planted corpus."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.unit.sanitize.corpus import CORPUS, plant, present, snapshot

from imagewright.cli import main

pytestmark = pytest.mark.integration


def plant_everything(root: Path) -> None:
    for name in CORPUS:
        plant(root, name)


def test_extended_profile_cleans_the_whole_corpus_and_keeps_the_system(
    debian_tree: Path, tmp_path: Path
) -> None:
    plant_everything(debian_tree)
    before = snapshot(debian_tree / "etc")
    assert main(["sanitize", str(debian_tree), "--profile", "extended", "--dry-run"]) == 0
    assert snapshot(debian_tree / "etc") == before

    report = tmp_path / "report.json"
    assert main(["sanitize", str(debian_tree), "--profile", "extended", "--json", str(report)]) == 0
    for entry in CORPUS.values():
        for path in entry.files:
            assert not present(debian_tree, path), path
    assert (debian_tree / "etc/machine-id").read_bytes() == b""  # bookworm has no systemd here
    assert (debian_tree / "usr/sbin/sshd").exists()
    assert (debian_tree / "etc/passwd").read_text().startswith("root:")
    data = json.loads(report.read_text())
    assert data["failures"] == [] and data["bytes_overwritten"] > 0

    second = tmp_path / "second.json"
    assert main(["sanitize", str(debian_tree), "--profile", "extended", "--json", str(second)]) == 0
    assert {op["status"] for op in json.loads(second.read_text())["operations"]} == {"unchanged"}


def test_seed_profile_leaves_what_only_the_extended_profile_removes(debian_tree: Path) -> None:
    plant_everything(debian_tree)
    assert main(["sanitize", str(debian_tree)]) == 0
    assert not (debian_tree / "etc/ssh/ssh_host_ed25519_key").exists()
    assert (debian_tree / "root/.aws/credentials").exists()
    assert (debian_tree / "var/log/syslog").exists()

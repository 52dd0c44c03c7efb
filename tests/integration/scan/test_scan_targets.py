"""Scan targets other than folders: a tar archive and a catalog image NAME:VERSION."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from imagewright.cli import main
from imagewright.pipeline.catalog import Artifact, Catalog

pytestmark = pytest.mark.integration

TOKEN = "hf_" + "TarArchiveTokenAbCdEfGhIjKlMnOpQrS"


def tar_image(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "os-release").write_text("ID=debian\nVERSION_CODENAME=bookworm\n")
    (tree / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (tree / "etc" / "group").write_text("root:x:0:\n")
    (tree / "root").mkdir()
    (tree / "root" / "hf-token").write_text(TOKEN + "\n")
    archive = tmp_path / "image.tar"
    subprocess.run(["tar", "-C", tree, "-cf", archive, "."], check=True)
    return archive


def findings(report: Path) -> list[tuple[str, str]]:
    return [(f["rule_id"], f["path"]) for f in json.loads(report.read_text())["findings"]]


def test_tar_archive(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    archive = tar_image(tmp_path)
    argv = ["scan", str(archive), "--skip", "patches", "--format", "json", "--output", str(report)]
    assert main(argv) == 1
    assert ("hugging-face-access-token", "/root/hf-token") in findings(report)


def test_catalog_image(tmp_path: Path) -> None:
    archive = tar_image(tmp_path)
    state = tmp_path / "state"
    with Catalog(state) as catalog:
        record = catalog.begin_build(
            "web", "1.2.0", recipe={"name": "web"}, recipe_path=None, work_dir=tmp_path
        )
        catalog.mark_available(record.id, [Artifact("tar", archive, "00" * 32, 1)])
    report = tmp_path / "report.json"
    argv = [
        "scan",
        "web:1.2.0",
        "--state-dir",
        str(state),
        "--skip",
        "patches",
        "--format",
        "json",
        "--output",
        str(report),
    ]
    assert main(argv) == 1
    assert json.loads(report.read_text())["target"] == "web:1.2.0"
    assert ("hugging-face-access-token", "/root/hf-token") in findings(report)
    assert main(["scan", "web:9.9.9", "--state-dir", str(state)]) == 2

"""`toe run --target` on an image that is not a directory: a tar archive is opened, the steps
change its files and the archive is written back."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from imagewright.cli import main

pytestmark = pytest.mark.integration

DOCUMENT = """\
schemaVersion: 1.0
phases:
  - name: build
    steps:
      - name: Motd
        action: CreateFile
        inputs:
          - path: /etc/motd
            content: "built by a component\\n"
  - name: validate
    steps:
      - name: Exists
        action: Assert
        inputs:
          fileExists: /etc/motd
"""


def test_a_tar_archive_target_is_changed_and_written_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = tmp_path / "tree"
    for folder in ("etc", "proc", "sys", "dev", "run", "tmp"):
        (tree / folder).mkdir(parents=True)
    (tree / "etc/os-release").write_text('ID=debian\nVERSION_ID="12"\n')
    archive = tmp_path / "image.tar"
    with tarfile.open(archive, "w") as handle:
        handle.add(tree, arcname=".")
    (tmp_path / "motd.yml").write_text(DOCUMENT)
    document, logs = str(tmp_path / "motd.yml"), str(tmp_path / "logs")
    code = main(["toe", "run", "-d", document, "--target", str(archive), "-l", logs])
    assert code == 0, capsys.readouterr().err
    assert json.loads(capsys.readouterr().out)["status"] == "success"
    with tarfile.open(archive) as handle:
        motd = handle.extractfile("./etc/motd")
        assert motd is not None and motd.read() == b"built by a component\n"
    assert not Path("/etc/motd").read_text().startswith("built by a component")

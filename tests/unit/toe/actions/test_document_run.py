"""The file modules driven by a real component document through `imagewright toe run --target`:
parameters, list-shaped input chaining, ListFiles output feeding a forEach loop, ReadFile content
checked by Assert."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from imagewright.cli import main
from imagewright.toe.actions._target import umask

DOCUMENT = """\
name: files-end-to-end
schemaVersion: 1.0
parameters:
  - AppDir:
      type: string
      default: /opt/app
phases:
  - name: build
    steps:
      - name: MakeDir
        action: CreateFolder
        inputs:
          - path: '{{ AppDir }}/conf'
            permissions: 0750
      - name: MakeFiles
        action: CreateFile
        inputs:
          - path: '{{ AppDir }}/conf/a.conf'
            content: "alpha\\n"
          - path: '{{ AppDir }}/conf/b.conf'
            content: "beta\\n"
      - name: List
        action: ListFiles
        inputs:
          - path: '{{ build.MakeDir.inputs[0].path }}'
            fileNamePattern: '*.conf'
      - name: CopyEach
        action: CopyFile
        loop:
          forEach:
            list: '{{ build.List.outputs.files }}'
            delimiter: ','
        inputs:
          - source: '{{ loop.value }}'
            destination: '{{ AppDir }}/backup/'
      - name: Read
        action: ReadFile
        inputs:
          - path: '{{ AppDir }}/backup/b.conf'
      - name: Check
        action: Assert
        inputs:
          stringEquals: "beta\\n"
          value: '{{ build.Read.outputs.content }}'
      - name: NoOverwrite
        action: CreateFile
        onFailure: Ignore
        inputs:
          - path: '{{ AppDir }}/conf/a.conf'
            overwrite: false
"""


def test_document_with_file_modules_runs_inside_a_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "doc.yml").write_text(DOCUMENT)
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    code = main(
        [
            "toe", "run", "--documents", str(tmp_path / "doc.yml"), "--target", str(root),
            "--log-directory", str(tmp_path / "logs"),
        ]
    )  # fmt: skip
    summary = json.loads(capsys.readouterr().out)
    assert code == 0, summary
    assert summary["status"] == "successWithIgnoredFailure"
    assert summary["ignoredFailedStepCount"] == 1
    assert stat.S_IMODE((root / "opt/app/conf").stat().st_mode) == 0o750 & ~umask()
    assert sorted(p.name for p in (root / "opt/app/backup").iterdir()) == ["a.conf", "b.conf"]
    assert (root / "opt/app/backup/a.conf").read_text() == "alpha\n"
    detailed = json.loads(next((tmp_path / "logs").glob("TOE_*/detailedoutput.json")).read_text())
    steps = {s["name"]: s for s in detailed["documents"][0]["phases"][0]["steps"]}
    assert json.loads(steps["List"]["outputs"]) == [
        {"files": "/opt/app/conf/a.conf,/opt/app/conf/b.conf"}  # paths as the image sees them
    ]

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imagewright.cli import main

DOCUMENT = """\
name: greeter
description: Says hello.
schemaVersion: 1.0
phases:
  - name: build
    steps:
      - name: Hello
        action: ExecuteBash
        inputs:
          commands: [echo hello]
"""


def test_create_list_show_with_versions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = tmp_path / "greeter.yml"
    document.write_text(DOCUMENT)
    state = ["--state-dir", str(tmp_path / "state")]
    for version in ("1.0.0", "1.0.0", "1.2.0", "2.0.0"):
        assert main(["components", "create", "--data", str(document),
                     "--semantic-version", version, *state]) == 0  # fmt: skip
    assert "created greeter 2.0.0/1 (BUILD)" in capsys.readouterr().out
    assert main(["components", "list", "--json", *state]) == 0
    versions = [c["version"] for c in json.loads(capsys.readouterr().out)]
    assert versions == ["1.0.0/1", "1.0.0/2", "1.2.0/1", "2.0.0/1"]
    assert main(["components", "show", "greeter:1.x.x", "--json", *state]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["version"] == "1.2.0/1"
    assert shown["data"] == DOCUMENT
    assert main(["components", "show", "greeter:1.0.0", *state]) == 0
    assert capsys.readouterr().out.startswith("# greeter 1.0.0/2 (BUILD, Linux)")


def test_invalid_documents_and_versions_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "broken.yml"
    document.write_text(DOCUMENT.replace("ExecuteBash", "ExecuteBsh"))
    state = ["--state-dir", str(tmp_path / "state")]
    assert main(["components", "create", "--data", str(document),
                 "--semantic-version", "1.0.0", *state]) == 2  # fmt: skip
    error = capsys.readouterr().err
    assert "broken.yml:8:9" in error and "ExecuteBash" in error
    document.write_text(DOCUMENT)
    assert main(["components", "create", "--data", str(document),
                 "--semantic-version", "1.x.0", *state]) == 2  # fmt: skip
    assert "not a semantic version" in capsys.readouterr().err
    assert main(["components", "show", "greter", *state]) == 2
    assert main(["components", "list", *state]) == 0

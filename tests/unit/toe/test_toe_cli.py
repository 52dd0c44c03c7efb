"""`imagewright toe validate|run`: output, exit codes, --config, --parameters, reboot exit mode."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from imagewright.cli import main

DOCUMENT = """\
name: Cli
schemaVersion: 1.0
parameters:
  - Word:
      type: string
      default: default
phases:
  - name: build
    steps:
      - name: Say
        action: ExecuteBash
        inputs:
          commands: ["echo {{ Word }} > {{ Word }}.out"]
  - name: validate
    steps:
      - name: Check
        action: ExecuteBash
        inputs:
          commands: ["test -f {{ Word }}.out"]
"""


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "doc.yml").write_text(DOCUMENT)
    return tmp_path


def test_validate_text_and_json(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["toe", "validate", "--documents", "doc.yml"]) == 0
    assert "doc.yml: valid" in capsys.readouterr().out
    (workdir / "bad.yml").write_text(DOCUMENT.replace("action: ExecuteBash", "action: ExecBash", 1))
    assert main(["toe", "validate", "-d", "doc.yml,bad.yml", "--json"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["validationStatus"] == "failed"
    assert [d["validationStatus"] for d in result["documents"]] == ["success", "failed"]
    problem = result["documents"][1]["problems"][0]
    assert (problem["line"], problem["field"], problem["suggestion"]) == (
        11,
        "phases[0].steps[0].action",
        "ExecuteBash",
    )
    assert main(["toe", "validate", "-d", "doc.yml", "--os-platform", "windows"]) == 1
    assert "not supported on windows" in capsys.readouterr().err


def test_run_prints_the_summary_and_exits_by_status(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["toe", "run", "-d", "doc.yml", "--parameters", "Word=cli", "-i", "id-1"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0
    assert summary["status"] == "success" and summary["executedStepCount"] == 2
    assert summary["executionId"] == "id-1"
    assert Path(summary["logUrl"]).parent == workdir  # default log directory: here
    assert (workdir / "cli.out").read_text() == "cli\n"
    (workdir / "cli.out").unlink()
    code = main(["toe", "run", "-d", "doc.yml", "--parameters", "Word=cli", "-p", "validate"])
    assert code == 1
    assert json.loads(capsys.readouterr().out)["failedStepCount"] == 1


def test_usage_and_document_errors_exit_2(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["toe", "run", "-d", "doc.yml", "--parameters", "Word="]) == 2
    assert "not name=value" in capsys.readouterr().err
    assert main(["toe", "run", "-d", "missing.yml"]) == 2
    assert "missing.yml: document not found" in capsys.readouterr().err
    assert main(["toe", "run"]) == 2
    (workdir / "broken.yml").write_text("phases: [\n")
    assert main(["toe", "run", "-d", "broken.yml"]) == 2
    assert "not valid YAML" in capsys.readouterr().err


def test_config_file_and_precedence(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = {
        "documents": [{"path": "doc.yml", "parameters": [{"name": "Word", "value": "perdoc"}]}],
        "phases": "build",
        "parameters": [{"name": "Word", "value": "global"}],
        "executionId": "from-config",
        "logDirectory": str(workdir / "config-logs"),
    }
    (workdir / "run.json").write_text(json.dumps(config))
    assert main(["toe", "run", "--config", "run.json", "-i", "from-cli"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["executionId"] == "from-cli"  # the command line wins over the file
    assert Path(summary["logUrl"]).parent == workdir / "config-logs"
    assert (workdir / "perdoc.out").exists()  # per-document parameters win over global ones
    assert main(["toe", "run", "--config", "run.json", "-d", "doc.yml"]) == 2
    assert "both with --documents and in --config" in capsys.readouterr().err
    (workdir / "typo.json").write_text('{"documents": [{"path": "doc.yml"}], "phase": "build"}')
    assert main(["toe", "run", "--config", "typo.json"]) == 2
    assert "did you mean 'phases'" in capsys.readouterr().err


def test_variables_file_supplies_aws_values(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "aws.yml").write_text(
        DOCUMENT.replace("echo {{ Word }} >", "echo {{ aws:ssm:/app/word }} >")
    )
    assert main(["toe", "run", "-d", "aws.yml"]) == 2
    assert "needs AWS" in capsys.readouterr().err
    (workdir / "vars.yml").write_text("'{{ aws:ssm:/app/word }}': fromssm\n")
    assert main(["toe", "run", "-d", "aws.yml", "--variables-file", "vars.yml", "-p", "build"]) == 0


def test_reboot_exit_mode_resumes_in_a_new_process(workdir: Path) -> None:
    (workdir / "reboot.yml").write_text(
        """\
schemaVersion: 1.0
phases:
  - name: build
    steps:
      - name: Before
        action: ExecuteBash
        inputs:
          commands: ["echo before >> trail"]
      - name: Restart
        action: Reboot
      - name: After
        action: ExecuteBash
        inputs:
          commands: ["echo after >> trail"]
"""
    )
    command = [sys.executable, "-m", "imagewright", "toe", "run", "--reboot", "exit"]
    command += ["--state-directory", "state", "-l", "logs"]
    first = subprocess.run([*command, "-d", "reboot.yml"], capture_output=True, text=True)
    assert first.returncode == 194, first.stderr
    assert json.loads(first.stdout)["status"] == "rebooting"
    assert (workdir / "trail").read_text() == "before\n"
    second = subprocess.run(command, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    summary = json.loads(second.stdout)
    assert summary["executedStepCount"] == 3
    assert (workdir / "trail").read_text() == "before\nafter\n"
    assert "resuming execution" in second.stderr
    assert not (workdir / "state/state.json").exists()


def test_shipped_examples_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    examples = Path(__file__).parents[3] / "examples" / "components"
    hello, banner = examples / "hello.yml", examples / "login-banner.yml"
    assert main(["toe", "validate", "-d", f"{hello},{banner}"]) == 0
    arguments = ["toe", "run", "-d", str(hello), "-l", str(tmp_path)]
    assert main([*arguments, "--parameters", f"WorkDir={tmp_path}/hello"]) == 0
    arguments = ["toe", "run", "-d", str(banner), "-l", str(tmp_path)]
    assert main([*arguments, "--parameters", f"Root={tmp_path}/root"]) == 0
    assert (tmp_path / "root/etc/issue.net").read_text().startswith("Authorized use only.")

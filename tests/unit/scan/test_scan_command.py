"""`imagewright scan` on folders: exit codes, formats, output files, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imagewright.cli import main

TOKEN = "npm_" + "Cl1T0k3nAbCdEfGhIjKlMnOpQrStUvWxYz01"
QUICK = ["--skip", "patches"]


def tree(root: Path, *, secret: bool) -> Path:
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (root / "etc" / "group").write_text("root:x:0:\n")
    (root / "etc" / "shadow").write_text("root:*:20000:0:99999:7:::\n")
    (root / "root").mkdir()
    if secret:
        (root / "root" / ".npmrc").write_text(f"//registry.npmjs.org/:_authToken={TOKEN}\n")
    return root


def test_clean_tree_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", str(tree(tmp_path / "t", secret=False)), *QUICK]) == 0
    assert "0 findings" in capsys.readouterr().out


def test_findings_exit_1_and_no_secret_is_printed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tree(tmp_path / "t", secret=True)
    assert main(["-v", "scan", str(root), *QUICK]) == 1
    captured = capsys.readouterr()
    assert "npm-access-token" in captured.out
    assert TOKEN not in captured.out + captured.err
    assert TOKEN[:8] not in captured.out + captured.err


def test_severity_threshold(tmp_path: Path) -> None:
    root = tree(tmp_path / "t", secret=True)  # npm token: critical
    assert main(["scan", str(root), *QUICK, "--severity", "critical"]) == 1
    (root / "root" / ".npmrc").unlink()
    (root / "root" / ".bash_history").write_text("ls\n")  # shell history: medium
    assert main(["scan", str(root), *QUICK, "--severity", "high"]) == 0
    assert main(["scan", str(root), *QUICK]) == 1


@pytest.mark.parametrize("format_name", ["json", "sarif", "html", "table"])
def test_output_file_in_each_format(tmp_path: Path, format_name: str) -> None:
    output = tmp_path / f"report.{format_name}"
    root = tree(tmp_path / "t", secret=True)
    code = main(["scan", str(root), *QUICK, "--format", format_name, "--output", str(output)])
    assert code == 1
    text = output.read_text()
    assert "npm-access-token" in text and TOKEN not in text
    if format_name == "json":
        document = json.loads(text)
        assert document["target"] == str(root)
        assert document["summary"]["critical"] == 1


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scan", "/no/such/image.raw"], "no such file or folder"),
        (["scan", "{tmp}", "--skip", "secret"], "did you mean 'secrets'"),
        (["scan", "{tmp}", "--severity", "severe"], "invalid choice"),
        (["scan", "{tmp}", "--format", "pdf"], "invalid choice"),
        (["scan", "{tmp}/not-an-image.txt"], "not-an-image.txt"),
    ],
)
def test_bad_input_exits_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    (tmp_path / "not-an-image.txt").write_text("hello\n")
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_command_line_lists_the_engines_parts() -> None:
    from imagewright.cli import scan as command
    from imagewright.scan import engine

    assert command.PARTS == engine.PARTS  # kept apart so that --help stays fast

from __future__ import annotations

import time

import pytest

from imagewright.errors import CommandError, CommandTimeout, MissingToolError
from imagewright.run import run


def test_output_and_streaming() -> None:
    lines: list[tuple[str, str]] = []
    result = run(
        ["sh", "-c", "echo out; echo err >&2"],
        on_output=lambda stream, line: lines.append((stream, line)),
    )
    assert result.stdout == "out\n"
    assert result.stderr == "err\n"
    assert ("stdout", "out\n") in lines and ("stderr", "err\n") in lines


def test_failure_carries_stderr() -> None:
    with pytest.raises(CommandError) as error:
        run(["sh", "-c", "echo broken >&2; exit 3"])
    assert error.value.returncode == 3
    assert "broken" in str(error.value)


def test_timeout_kills_the_whole_group() -> None:
    started = time.monotonic()
    with pytest.raises(CommandTimeout):
        run(["sh", "-c", "sleep 30 & sleep 30; wait"], timeout=0.5)
    assert time.monotonic() - started < 5


def test_missing_program() -> None:
    with pytest.raises(MissingToolError):
        run(["definitely-not-a-program-xyz"])

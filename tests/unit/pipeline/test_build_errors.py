"""How a failed build's error is shown: a full disk names the folder that is full."""

from __future__ import annotations

import errno
from pathlib import Path

from imagewright.errors import CommandError, ConfigError
from imagewright.pipeline.build import BuildFailed, _as_build_failure


def test_a_full_output_folder_is_named_from_the_commands_own_words(tmp_path: Path) -> None:
    output, state = tmp_path / "out", tmp_path / "state"
    error = CommandError(
        ["cp", str(state / "work/image.raw"), str(output / "x.raw")],
        1,
        f"cp: error writing '{output}/x.raw': No space left on device",
    )
    shown = _as_build_failure(error, output, state)
    assert shown is not None
    assert shown.message == f"no space left on the device: the output folder {output} is full"
    assert shown.hint is not None and "--output-dir" in shown.hint


def test_a_full_state_folder_is_named_from_the_file_written(tmp_path: Path) -> None:
    output, state = tmp_path / "out", tmp_path / "state"
    error = OSError(errno.ENOSPC, "No space left on device", str(state / "work/disk.raw"))
    shown = _as_build_failure(error, output, state)
    assert shown is not None and f"the state folder {state} is full" in shown.message


def test_other_errors(tmp_path: Path) -> None:
    inside = BuildFailed("component x failed: write: No space left on device")
    assert _as_build_failure(inside, tmp_path, tmp_path) is None  # the image's disk, not ours
    late = _as_build_failure(ConfigError("bad distribution file"), tmp_path, tmp_path)
    assert isinstance(late, BuildFailed) and late.exit_code == 1
    denied = _as_build_failure(PermissionError(13, "Permission denied", "/x"), tmp_path, tmp_path)
    assert denied is not None and denied.message == "Permission denied: /x"

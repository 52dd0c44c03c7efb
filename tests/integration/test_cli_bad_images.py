"""Broken disk images given to the verbs that open them: exit 2, the image named, no traceback,
and no loop device or mount left behind."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.loop_support import loops_backed_below

from imagewright.cli import main

pytestmark = pytest.mark.integration

DOCUMENT = """\
name: demo-component
schemaVersion: 1.0
phases:
  - {name: build, steps: [{name: hello, action: ExecuteBash, inputs: {commands: [touch /ran]}}]}
"""


def _mounts_of(work: Path) -> list[str]:
    return [
        line for line in Path("/proc/self/mounts").read_text().splitlines() if str(work) in line
    ]


@pytest.fixture(scope="module")
def broken_images(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    """Real images, broken the ways a copy goes wrong: name -> (image, expected message)."""
    folder = tmp_path_factory.mktemp("broken-images")
    ext4 = folder / "ext4.img"
    with ext4.open("wb") as image:
        image.truncate(64 << 20)
    subprocess.run(["mkfs.ext4", "-q", "-F", "-E", "root_owner=0:0", ext4], check=True)
    truncated = folder / "truncated-ext4.img"
    truncated.write_bytes(ext4.read_bytes()[: 8 << 20])
    gpt = folder / "gpt-without-file-system.img"
    with gpt.open("wb") as image:
        image.truncate(64 << 20)
    subprocess.run(["sgdisk", "-o", "-n", "1:2048:+40M", gpt], check=True, capture_output=True)
    truncated_gpt = folder / "truncated-gpt.img"
    truncated_gpt.write_bytes(gpt.read_bytes()[: 1 << 20])
    return {
        "truncated file system": (truncated, "no root file system found"),
        "partition without a file system": (gpt, "no supported root file system"),
        "truncated partition table": (truncated_gpt, "the GPT partition table is corrupt"),
    }


@pytest.mark.parametrize(
    "broken",
    ["truncated file system", "partition without a file system", "truncated partition table"],
)
@pytest.mark.parametrize(
    "argv",
    [["scan"], ["sanitize"], ["toe", "run", "-d", "{document}", "-l", "{logs}", "--target"]],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_a_broken_image_is_refused_and_released(
    broken: str,
    argv: list[str],
    broken_images: dict[str, tuple[Path, str]],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    image, message = broken_images[broken]
    before = image.read_bytes()
    document = tmp_path / "component.yml"
    document.write_text(DOCUMENT)
    args = [a.format(document=document, logs=tmp_path) for a in argv]
    code = main([*args, str(image)])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert code == 2, err
    assert f"imagewright: error: {image}: {message}" in err
    assert image.read_bytes() == before, "a refused image is not written to"
    assert loops_backed_below(image) == []
    assert _mounts_of(image.parent) == []
    assert not list(tmp_path.glob("TOE_*"))


def test_the_console_script_refuses_a_truncated_image(
    broken_images: dict[str, tuple[Path, str]],
) -> None:
    image, message = broken_images["truncated file system"]
    done = subprocess.run(
        [Path(sys.executable).with_name("imagewright"), "scan", image],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{image}: {message}" in done.stderr
    assert loops_backed_below(image) == []

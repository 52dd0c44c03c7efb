from __future__ import annotations

from pathlib import Path

import pytest

from imagewright.errors import ConfigError
from imagewright.pipeline.bases import parse_parent


@pytest.mark.parametrize(
    ("value", "suite"), [("debian:12", "bookworm"), ("debian:bookworm", "bookworm"),
                         ("debian:13", "trixie"), ("debian:sid", "sid")],
)  # fmt: skip
def test_debian_parents_name_a_suite(value: str, suite: str, tmp_path: Path) -> None:
    assert parse_parent(value, tmp_path).suite == suite


def test_local_parent_is_relative_to_the_recipe(tmp_path: Path) -> None:
    (tmp_path / "base.qcow2").write_bytes(b"QFI\xfb")
    assert parse_parent("base.qcow2", tmp_path).path == tmp_path / "base.qcow2"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ami-0123456789abcdef0", "AWS image, which cannot be fetched"),
        ("arn:aws:imagebuilder:eu-west-1:aws:image/amazon-linux-2-x86/x.x.x", "AWS image"),
        ("missing.raw", "neither a known base nor an existing file"),
    ],
)
def test_unusable_parents_are_explained(value: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        parse_parent(value, tmp_path)
    assert caught.value.hint

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

import pytest

from imagewright.errors import UnsafePathError
from imagewright.paths import ImageRoot


@pytest.fixture
def hostile(tmp_path: Path) -> ImageRoot:
    root = tmp_path / "image"
    (root / "etc/ssh").mkdir(parents=True)
    (root / "etc/ssh/ssh_host_rsa_key").write_text("key")
    (root / "home").mkdir()
    (root / "home/evil").symlink_to("/etc")  # absolute: must mean the image's /etc
    (root / "escape").symlink_to("../../../../../../../../etc")  # climbs past the root
    (root / "loop").symlink_to("loop")
    return ImageRoot(root)


def test_absolute_symlink_stays_inside(hostile: ImageRoot) -> None:
    resolved = hostile.resolve("/home/evil/ssh/ssh_host_rsa_key")
    assert resolved == hostile.root / "etc/ssh/ssh_host_rsa_key"


def test_dotdot_never_climbs_above_root(hostile: ImageRoot) -> None:
    assert hostile.resolve("/escape") == hostile.root / "etc"
    assert hostile.resolve("/../../../etc/passwd") == hostile.root / "etc/passwd"


def test_final_symlink_not_followed_on_request(hostile: ImageRoot) -> None:
    assert hostile.resolve("/home/evil", follow_final=False) == hostile.root / "home/evil"


def test_symlink_loop_is_an_error(hostile: ImageRoot) -> None:
    with pytest.raises(UnsafePathError):
        hostile.resolve("/loop/x")


def test_refuses_host_root() -> None:
    with pytest.raises(UnsafePathError):
        ImageRoot("/")


def test_glob_and_walk(hostile: ImageRoot) -> None:
    assert hostile.glob("/etc/ssh/ssh_host_*") == [PurePosixPath("/etc/ssh/ssh_host_rsa_key")]
    assert hostile.glob("/home/evil/ssh/*") == [PurePosixPath("/home/evil/ssh/ssh_host_rsa_key")]
    walked = {entry.path for entry in hostile.walk()}
    assert PurePosixPath("/home/evil") in walked
    assert PurePosixPath("/home/evil/ssh") not in walked  # links are not followed


def test_write_replaces_symlink_instead_of_following(hostile: ImageRoot, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("host file")
    os.symlink(outside, hostile.root / "etc/trap")
    # The absolute target is read as a path inside the image, which does not exist there.
    hostile.write_text("/etc/trap", "image data")
    assert outside.read_text() == "host file"
    assert (hostile.root / "etc/trap").read_text() == "image data"

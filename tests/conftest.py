"""Shared fixtures: real Debian bases made once per machine with mmdebstrap, copied per test.

Markers: `integration` and `root` tests need euid 0 (loop devices, mounts, chroot). When they
cannot run they are skipped locally; with IMAGEWRIGHT_TEST_STRICT=1 (CI) that is a failure.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from imagewright.images.debian import mmdebstrap
from imagewright.images.mirror import debian_sources
from imagewright.mounts import mounts_below, unmount_tree

CACHE = Path(os.environ.get("IMAGEWRIGHT_TEST_CACHE", "/var/cache/imagewright/test-bases"))
STRICT = os.environ.get("IMAGEWRIGHT_TEST_STRICT") == "1"

# The package set of the shared test base: enough for sshd, sudo, apt and users.
BASE_SUITE = "bookworm"
BASE_PACKAGES = ("openssh-server", "sudo", "ca-certificates", "passwd", "procps", "rsyslog")


def pytest_runtest_setup(item: pytest.Item) -> None:
    needs_root = item.get_closest_marker("root") or item.get_closest_marker("integration")
    if needs_root and os.geteuid() != 0:
        reason = "needs root (loop devices, mounts, chroot)"
        if STRICT:
            pytest.fail(reason)
        pytest.skip(reason)


def cached_base(name: str, packages: tuple[str, ...], suite: str = BASE_SUITE) -> Path:
    """A Debian base as a tar archive, made once per machine and reused (keyed by its inputs)."""
    lines = [s.line() for s in debian_sources(suite)]
    key = hashlib.sha256(repr((suite, packages, lines)).encode()).hexdigest()[:16]
    CACHE.mkdir(parents=True, exist_ok=True)
    tarball = CACHE / f"{name}-{suite}-{key}.tar"
    with (CACHE / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not tarball.exists():
            partial = tarball.with_suffix(".partial.tar")
            partial.unlink(missing_ok=True)
            mmdebstrap(partial, suite=suite, packages=packages)
            partial.rename(tarball)
    return tarball


def extract(tarball: Path, destination: Path) -> Path:
    destination.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            "tar",
            "--numeric-owner",
            "--xattrs",
            "--xattrs-include=*",
            "--acls",
            "-xpf",
            tarball,
            "-C",
            destination,
        ],
        check=True,
    )
    return destination


@pytest.fixture(scope="session")
def debian_tarball() -> Path:
    """The shared Debian base as a tar archive (read-only: copy before changing it)."""
    if os.geteuid() != 0:
        pytest.skip("making a Debian base needs root")
    return cached_base("debian-test", BASE_PACKAGES)


@pytest.fixture
def debian_tree(debian_tarball: Path, tmp_path: Path) -> Iterator[Path]:
    """A fresh copy of the Debian base as a directory, for this test only."""
    root = extract(debian_tarball, tmp_path / "root")
    yield root
    leftover = mounts_below(root)
    unmount_tree(root)
    shutil.rmtree(root, ignore_errors=True)
    assert not leftover, f"mounts left behind below the image: {leftover}"

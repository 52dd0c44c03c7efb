"""Hostile trees: symlinks everywhere a path is used, special files, protected files. No host file
may change, nothing may hang, every failure is a clear message and exit code."""

from __future__ import annotations

import hashlib
import os
import socket
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.sanitize.corpus import CORPUS, snapshot

from imagewright.cli import main
from imagewright.sanitize import OPERATIONS

HOST_FILES = (
    "/etc/passwd",
    "/etc/shadow",
    "/etc/hostname",
    "/etc/machine-id",
    "/etc/ssh/ssh_host_rsa_key",
    "/etc/ssh/ssh_host_ed25519_key",
    "/root/.ssh/authorized_keys",
    "/root/.bash_history",
)


def fingerprint(paths: tuple[str, ...]) -> dict[str, str]:
    found = {}
    for path in paths:
        try:
            found[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError as e:
            found[path] = type(e).__name__
    return found


def every_planted_path() -> list[str]:
    paths = sorted({path for entry in CORPUS.values() for path in (*entry.files, *entry.planted)})
    # Each becomes a link below: none may be the parent folder of another.
    assert not any(b.startswith(a + "/") for a in paths for b in paths)
    return paths


@pytest.fixture
def host_canary(tmp_path: Path) -> Path:
    """A folder outside the image standing for the host; links in the image point at it."""
    canary = tmp_path / "host"
    for path in every_planted_path():
        host = canary / path.lstrip("/")
        host.parent.mkdir(parents=True, exist_ok=True)
        host.write_text("host data\n")
    return canary


def hostile_tree(root: Path, canary: Path) -> None:
    """Every planted path as a link out of the image, and its parent folders as links too."""
    for index, path in enumerate(every_planted_path()):
        image = root / path.lstrip("/")
        image.parent.mkdir(parents=True, exist_ok=True)
        if image.exists() or image.is_symlink():
            continue
        escape = "../" * 12
        kind = index % 4
        if kind == 0:
            image.symlink_to(path)  # absolute: the same path on the host
        elif kind == 1:
            image.symlink_to(f"{escape}{canary}/{path.lstrip('/')}")  # relative, climbing out
        elif kind == 2:
            image.symlink_to(canary / path.lstrip("/"))  # absolute, at the host canary
        else:
            os.mkfifo(image)
    # Parent folders of the seed's files as links to host folders.
    for folder, target in (
        ("var/lib/rsyslog", "/var/lib/rsyslog"),
        ("var/log/amazon", str(canary / "var/log/amazon")),
        ("var/lib/dhclient", "../../../../../../../../var/lib/dhclient"),
        ("var/log/sa", "/var/log/sa"),
        ("var/spool/postfix", "/var/spool/postfix"),
        ("home", "/home"),
    ):
        link = root / folder
        if link.is_dir() and not link.is_symlink():
            subprocess.run(["rm", "-rf", link], check=True)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)
    (root / "var/tmp").mkdir(parents=True, exist_ok=True)
    (root / "var/tmp/host-root").symlink_to("/")
    (root / "tmp").mkdir(exist_ok=True)
    (root / "tmp/TOE_link").symlink_to("/etc")
    (root / "etc/passwd").unlink(missing_ok=True)
    (root / "etc/passwd").write_text(f"evil:x:0:0::{canary}:/bin/sh\nup:x:1:1::/../../..:/bin/sh\n")


@pytest.mark.parametrize("profile", ["ec2-image-builder", "extended"])
def test_links_out_of_the_image_never_reach_the_host(
    tmp_path: Path, host_canary: Path, profile: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "image"
    hostile_tree(root, host_canary)
    host_before = fingerprint(HOST_FILES)
    canary_before = snapshot(host_canary)

    assert main(["sanitize", str(root), "--profile", profile]) == 0, capsys.readouterr()

    assert fingerprint(HOST_FILES) == host_before
    assert snapshot(host_canary) == canary_before
    assert not (root / "var/tmp/host-root").is_symlink()
    assert not (root / "tmp/TOE_link").is_symlink()


@pytest.mark.parametrize("name", ["fifo", "socket", "device"])
def test_special_files_at_seed_paths_are_removed_unopened(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "image"
    paths = [root / p.lstrip("/") for p in CORPUS["instance-files"].files]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        if name == "fifo":
            os.mkfifo(path)
        elif name == "device":
            os.mknod(path, stat.S_IFCHR | 0o600, os.makedev(1, 5))
        else:
            monkeypatch.chdir(path.parent)  # socket paths are limited to 108 bytes
            with socket.socket(socket.AF_UNIX) as sock:
                sock.bind(path.name)
    assert main(["sanitize", str(root)]) == 0
    assert not any(p.exists() or p.is_symlink() for p in paths)


@pytest.fixture
def ext4_root(tmp_path: Path) -> Iterator[Path]:
    image = tmp_path / "fs.img"
    with image.open("wb") as handle:
        handle.truncate(32 << 20)
    subprocess.run(["mkfs.ext4", "-q", image], check=True)
    mountpoint = tmp_path / "mnt"
    mountpoint.mkdir()
    subprocess.run(["mount", "-o", "loop", image, mountpoint], check=True)
    try:
        yield mountpoint
    finally:
        subprocess.run(["chattr", "-R", "-i", "-a", mountpoint], check=False)
        subprocess.run(["umount", mountpoint], check=True)


@pytest.mark.root
def test_immutable_file_fails_with_the_seeds_message(
    ext4_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (ext4_root / "etc/ssh").mkdir(parents=True)
    key = ext4_root / "etc/ssh/ssh_host_rsa_key"
    key.write_text("PRIVATE KEY")
    subprocess.run(["chattr", "+i", key], check=True)

    assert main(["sanitize", str(ext4_root)]) == 1
    captured = capsys.readouterr()
    assert "Failed to delete '/etc/ssh/ssh_host_rsa_key'. Failing." in captured.out
    assert "immutable" in captured.err and "chattr -i" in captured.err
    assert "Traceback" not in captured.err
    assert key.read_text() == "PRIVATE KEY"


@pytest.mark.root
def test_read_only_file_system_is_bad_input(
    ext4_root: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (ext4_root / "etc").mkdir()
    (ext4_root / "etc/hostname").write_text("build")
    subprocess.run(["mount", "-o", "remount,ro", ext4_root], check=True)
    try:
        assert main(["sanitize", str(ext4_root)]) == 2
        assert "read-only" in capsys.readouterr().err
        assert main(["sanitize", str(ext4_root), "--dry-run"]) == 0
    finally:
        subprocess.run(["mount", "-o", "remount,rw", ext4_root], check=True)


@pytest.mark.root
def test_full_disk_still_cleans(ext4_root: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name in CORPUS["ssh-files"].files[:6]:
        path = ext4_root / name.lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("KEY")
    (ext4_root / "etc/machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    subprocess.run(
        ["dd", "if=/dev/zero", f"of={ext4_root / 'fill'}", "bs=1M"],
        check=False,
        capture_output=True,
    )
    assert main(["sanitize", str(ext4_root)]) == 0, capsys.readouterr()
    assert not (ext4_root / "etc/ssh/ssh_host_rsa_key").exists()
    assert (ext4_root / "etc/machine-id").read_bytes() == b""


def test_every_operation_survives_the_hostile_tree() -> None:
    # The hostile tree plants a link or FIFO at every corpus path, and the corpus covers every
    # operation, so the tests above exercise every operation against it.
    assert set(CORPUS) == set(OPERATIONS.names())

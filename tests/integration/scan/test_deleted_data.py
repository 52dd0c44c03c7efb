"""Deleted data: a secret written to an ext4 disk image and rm'd is found in the free blocks."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from imagewright.cli import main
from imagewright.images.disk import make_disk
from imagewright.images.target import open_target
from imagewright.scan.engine import scan_image
from imagewright.scan.targets import open_scan_target

pytestmark = pytest.mark.integration

DELETED_TOKEN = "ghp_" + "Dl3t3dT0k3nStillOnD1skAbCdEfGhIjKlMn"
LIVE_TOKEN = "glpat-" + "L1v3T0k3nInAFileXyZw"


def loop_devices_of(disk: Path) -> list[str]:
    """Loop devices backed by disk (other processes on this machine may use other ones)."""
    listing = subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout
    return [line for line in listing.splitlines() if f"({disk})" in line]


def mounts_of(devices: list[str]) -> list[str]:
    names = {line.split(":", 1)[0] for line in devices}
    mounts = Path("/proc/self/mounts").read_text().splitlines()
    return [line for line in mounts if line.split(" ", 1)[0] in names]


@pytest.fixture
def disk_with_deleted_secret(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "os-release").write_text("ID=debian\nVERSION_CODENAME=bookworm\n")
    (tree / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (tree / "etc" / "group").write_text("root:x:0:\n")
    (tree / "root").mkdir()
    disk = tmp_path / "disk.raw"
    make_disk(tree, disk, fstype="ext4", size_bytes=96 << 20, table="gpt")
    with open_target(disk, writable=True) as opened:
        opened.root.write_text("/root/deploy.env", f"TOKEN={DELETED_TOKEN}\n" + "x" * 9000)
        opened.root.write_text("/root/live.env", f"TOKEN={LIVE_TOKEN}\n")
        opened.sync()
        opened.root.resolve("/root/deploy.env").unlink()
        opened.sync()
    return disk


def test_deleted_secret_is_reported_with_its_offset(disk_with_deleted_secret: Path) -> None:
    disk = disk_with_deleted_secret
    with open_scan_target(str(disk)) as target:
        assert target.raw_disk is not None
        devices = loop_devices_of(disk)
        assert devices and mounts_of(devices)
        result = scan_image(
            target.root,
            target=target.name,
            raw_disk=target.raw_disk,
            regions=target.regions,
            skip=frozenset({"hygiene", "patches"}),
        )
    assert loop_devices_of(disk) == []
    assert mounts_of(devices) == []

    deleted = [f for f in result.report.findings if f.category == "deleted-data"]
    assert [(f.rule_id, f.evidence) for f in deleted] == [("github-pat", "ghp_… (40 chars)")]
    offset = deleted[0].offset
    assert offset is not None
    with disk.open("rb") as handle:
        handle.seek(offset)
        assert handle.read(len(DELETED_TOKEN)) == DELETED_TOKEN.encode()
    # the live file is a file finding, never deleted data
    live = [f for f in result.report.findings if f.category == "secret"]
    assert [(f.rule_id, f.path) for f in live] == [("gitlab-pat", "/root/live.env")]
    assert result.raw.bytes_scanned > 0


def test_scan_command_on_the_disk_image(
    disk_with_deleted_secret: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    code = main(
        [
            "scan",
            str(disk_with_deleted_secret),
            "--format",
            "json",
            "--output",
            str(report),
            "--skip",
            "patches",
        ]
    )
    assert code == 1
    text = report.read_text()
    assert '"category": "deleted-data"' in text
    assert DELETED_TOKEN not in text and LIVE_TOKEN not in text
    assert DELETED_TOKEN not in capsys.readouterr().err

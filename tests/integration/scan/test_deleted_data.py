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


def loop_devices() -> str:
    return subprocess.run(["losetup", "-a"], capture_output=True, text=True).stdout


def mounts() -> str:
    return Path("/proc/self/mounts").read_text()


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
    before = (loop_devices(), mounts())
    with open_scan_target(str(disk_with_deleted_secret)) as target:
        assert target.raw_disk is not None
        result = scan_image(
            target.root,
            target=target.name,
            raw_disk=target.raw_disk,
            regions=target.regions,
            skip=frozenset({"hygiene", "patches"}),
        )
    assert (loop_devices(), mounts()) == before

    deleted = [f for f in result.report.findings if f.category == "deleted-data"]
    assert [(f.rule_id, f.evidence) for f in deleted] == [("github-pat", "ghp_… (40 chars)")]
    offset = deleted[0].offset
    assert offset is not None
    with disk_with_deleted_secret.open("rb") as disk:
        disk.seek(offset)
        assert disk.read(len(DELETED_TOKEN)) == DELETED_TOKEN.encode()
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

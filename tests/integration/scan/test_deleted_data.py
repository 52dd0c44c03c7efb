"""Deleted data: a secret written to an ext4, xfs or btrfs disk image and rm'd is found in the
free blocks."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.loop_support import loops_backed_below

from imagewright.cli import main
from imagewright.images.disk import Fstype, make_disk
from imagewright.images.target import open_target
from imagewright.scan.engine import scan_image
from imagewright.scan.targets import open_scan_target

pytestmark = pytest.mark.integration

DELETED_TOKEN = "ghp_" + "Dl3t3dT0k3nStillOnD1skAbCdEfGhIjKlMn"
LIVE_TOKEN = "glpat-" + "L1v3T0k3nInAFileXyZw"
# btrfs stores files of up to 2 KiB inline in its tree blocks (metadata chunks), not in data extents
INLINE_TOKEN = "npm_" + "1nL1n3T0k3nInAtr33BlockAbCdEfGhIjKlM"
DELETED_FOLDERS = ("/srv", "/opt", "/home", "/var")
SIZES = {"ext4": 96 << 20, "xfs": 304 << 20, "btrfs": 260 << 20}


def mounts_of(devices: list[str]) -> list[str]:
    mounts = Path("/proc/self/mounts").read_text().splitlines()
    return [line for line in mounts if line.split(" ", 1)[0] in devices]


def occurrences(disk: Path, value: bytes) -> set[int]:
    data = disk.read_bytes()
    found, position = set(), data.find(value)
    while position != -1:
        found.add(position)
        position = data.find(value, position + 1)
    return found


def make_disk_with_deleted_secrets(directory: Path, fstype: Fstype) -> Path:
    tree = directory / "tree"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "os-release").write_text("ID=debian\nVERSION_CODENAME=bookworm\n")
    (tree / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (tree / "etc" / "group").write_text("root:x:0:\n")
    (tree / "root").mkdir()
    disk = directory / f"disk-{fstype}.raw"
    make_disk(tree, disk, fstype=fstype, size_bytes=SIZES[fstype], table="gpt")
    padding = "x" * 9000  # never inline: the secrets land in data blocks
    with open_target(disk, writable=True) as opened:
        # xfs puts each new top-level folder in another allocation group: copies beyond the first
        for folder in DELETED_FOLDERS:
            opened.root.resolve(folder).mkdir()
            opened.root.write_text(f"{folder}/deploy.env", f"TOKEN={DELETED_TOKEN}\n{padding}")
        opened.root.write_text("/root/small.env", f"TOKEN={INLINE_TOKEN}\n")
        opened.root.write_text("/root/live.env", f"TOKEN={LIVE_TOKEN}\n{padding}")
        opened.sync()
        for folder in DELETED_FOLDERS:
            opened.root.resolve(f"{folder}/deploy.env").unlink()
        opened.root.resolve("/root/small.env").unlink()
        opened.sync()
    return disk


@pytest.fixture
def disk_with_deleted_secret(tmp_path: Path) -> Path:
    return make_disk_with_deleted_secrets(tmp_path, "ext4")


@pytest.mark.parametrize("fstype", ["ext4", "xfs", "btrfs"])
def test_deleted_secret_is_reported_with_its_offset(tmp_path: Path, fstype: Fstype) -> None:
    disk = make_disk_with_deleted_secrets(tmp_path, fstype)
    with open_scan_target(str(disk)) as target:
        assert target.raw_disk is not None
        devices = loops_backed_below(disk)
        assert devices and mounts_of(devices)
        result = scan_image(
            target.root,
            target=target.name,
            raw_disk=target.raw_disk,
            regions=target.regions,
            skip=frozenset({"hygiene", "patches"}),
        )
    assert loops_backed_below(disk) == []
    assert mounts_of(devices) == []

    assert not [n for n in result.notes if n.startswith("not scanned")]
    deleted = [f for f in result.report.findings if f.category == "deleted-data"]
    found = {f.rule_id for f in deleted}
    assert found == {"github-pat", "npm-access-token"}, [(f.rule_id, f.offset) for f in deleted]
    # every copy of the deleted file on disk is found; on xfs they lie in several allocation
    # groups, so AG-relative block numbers must have been turned into disk offsets correctly
    on_disk = occurrences(disk, DELETED_TOKEN.encode())
    assert len(on_disk) == len(DELETED_FOLDERS)
    assert {f.offset for f in deleted if f.rule_id == "github-pat"} == on_disk
    with disk.open("rb") as handle:
        for finding in deleted:
            assert finding.offset is not None
            handle.seek(finding.offset)
            token = DELETED_TOKEN if finding.rule_id == "github-pat" else INLINE_TOKEN
            assert handle.read(len(token)) == token.encode()
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

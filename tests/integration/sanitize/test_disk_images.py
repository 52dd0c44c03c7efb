"""Sanitizing real disk images: ext4, xfs, btrfs (GPT-partitioned and bare), qcow2 and tar.

Besides the tool's own residue check, tests read the raw disk themselves and look for the planted
secrets: each one names its file, so any copy still on the disk is found and named."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.integration.sanitize.conftest import MakeImage
from tests.unit.sanitize.corpus import CORPUS, present, secrets_on_disk

from imagewright.cli import main
from imagewright.images.target import open_target
from imagewright.sanitize.engine import SanitizeFailed
from imagewright.sanitize.image import sanitize_image
from imagewright.sanitize.shred import Shredder

pytestmark = pytest.mark.integration

KEPT = {path for entry in CORPUS.values() for path in entry.kept}
SEED_REMOVED = {
    path for name in ("ssh-files", "var-tmp", "toe-files") for path in CORPUS[name].files
}


def as_raw(image: Path, tmp_path: Path) -> Path:
    if image.suffix != ".qcow2":
        return image
    raw = tmp_path / "converted.raw"
    subprocess.run(["qemu-img", "convert", "-O", "raw", image, raw], check=True)
    return raw


@pytest.mark.parametrize("kind", ["ext4", "ext4-bare", "xfs", "btrfs", "qcow2"])
def test_extended_profile_leaves_no_residue(kind: str, copy_of: MakeImage, tmp_path: Path) -> None:
    image = copy_of(kind)
    report_file = tmp_path / "report.json"
    assert main(["sanitize", str(image), "--profile", "extended", "--json", str(report_file)]) == 0
    report = json.loads(report_file.read_text())
    assert report["failures"] == []
    assert report["residue"]["checked"] and report["residue"]["fingerprints"] > 0
    assert report["residue"]["found"] == []
    assert report["free_space"]["wiped"]
    if kind == "btrfs":
        assert report["free_space"]["method"] == "repack"
        assert "copy-on-write" in report["free_space"]["note"]

    assert secrets_on_disk(as_raw(image, tmp_path)) <= KEPT
    with open_target(image, writable=False) as opened:
        for entry in CORPUS.values():
            for path in entry.files:
                assert not present(opened.root.root, path), path
        assert opened.root.is_file("/usr/sbin/sshd")


def test_second_run_changes_nothing_and_image_stays_sparse(copy_of: MakeImage) -> None:
    image = copy_of("ext4")
    assert main(["sanitize", str(image)]) == 0
    allocated = os.stat(image).st_blocks
    assert allocated * 512 < os.stat(image).st_size / 2, "the image is no longer sparse"
    report = sanitize_image(image)
    assert {op.status for op in report.operations} == {"unchanged"}


def test_seed_profile_and_tar_archive(copy_of: MakeImage, tmp_path: Path) -> None:
    archive = copy_of("tar")
    assert main(["sanitize", str(archive)]) == 0
    listing = subprocess.run(["tar", "-tf", archive], capture_output=True, text=True, check=True)
    names = {"/" + line.removeprefix("./").rstrip("/") for line in listing.stdout.splitlines()}
    assert not SEED_REMOVED & names
    assert "/root/.aws/credentials" in names  # only the extended profile removes it


def test_dry_run_leaves_the_raw_image_byte_for_byte(copy_of: MakeImage) -> None:
    image = copy_of("ext4")
    before = hashlib.sha256(image.read_bytes()).hexdigest()
    report = sanitize_image(image, profile="extended", dry_run=True)
    assert hashlib.sha256(image.read_bytes()).hexdigest() == before
    planned = {p.path for op in report.operations for p in op.paths}
    assert "/etc/ssh/ssh_host_rsa_key" in planned


def test_residue_check_catches_a_file_that_was_only_unlinked(
    copy_of: MakeImage, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = copy_of("ext4")
    skipped = "/root/.aws/credentials"
    write_extents = Shredder._write_extents

    def skip_one(handle: object, pattern: bytes) -> int:
        if handle.target.label == skipped:  # type: ignore[attr-defined]
            return 0
        return write_extents(handle, pattern)  # type: ignore[arg-type]

    monkeypatch.setattr(Shredder, "_write_extents", staticmethod(skip_one))
    with pytest.raises(SanitizeFailed) as failed:
        sanitize_image(image, profile="extended", wipe_free_space=False)
    assert [hit["path"] for hit in failed.value.report.residue.found] == [skipped]
    assert f"content of {skipped} is still on the disk" in str(failed.value)


def test_without_free_space_wipe_shredding_alone_leaves_no_residue_on_ext4(
    copy_of: MakeImage,
) -> None:
    image = copy_of("ext4")
    report = sanitize_image(image, profile="extended", wipe_free_space=False)
    assert report.residue.found == [] and not report.free_space.wiped


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"just some text, not an image\n" * 100, "is not a disk image"),
        (b"\0" * 510 + b"\x55\xaa" + b"EFI PART" + b"\xff" * 4096, ""),
    ],
)
def test_bad_targets_exit_two(
    content: bytes, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "bad.img"
    target.write_bytes(content)
    assert main(["sanitize", str(target)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_interrupt_mid_run_releases_everything(sig: signal.Signals, copy_of: MakeImage) -> None:
    image = copy_of("xfs")
    child = subprocess.Popen(
        [sys.executable, "-m", "imagewright", "sanitize", str(image), "--profile", "extended"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    child.stdout.readline()  # the first "Deleting" line: the image is mounted now
    time.sleep(0.2)
    child.send_signal(sig)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 130, err
    assert b"Traceback" not in err

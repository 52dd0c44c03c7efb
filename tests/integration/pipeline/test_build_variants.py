"""Real builds of the recipe settings the other pipeline tests leave at their defaults: xfs and
UEFI with every output format and a local distribution, user data that keeps or disables the
clean-up, a public distribution the gate refuses, and a full output folder. No boot test; the
bases come from the shared cache."""

from __future__ import annotations

import base64
import datetime
import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.integration.pipeline.conftest import write_recipe
from tests.loop_support import loops_backed_below

from imagewright.images.target import open_target
from imagewright.pipeline.build import build
from imagewright.pipeline.catalog import Catalog, ImageStatus
from imagewright.policy.policyfile import load_policy

pytestmark = pytest.mark.integration

ESP_TYPE = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
ACCOUNT = "123456789012"
FAKE_ACCESS_KEY = "AKIA" + "R7QX2M4PLD6WN3TB"
FAKE_SECRET_KEY = "wJ9rT2pLq8ZxV4nB7mK1sD3fG6hJ0kL5pO9iU2yT"
KEEP_CLEANUP = "#!/bin/sh\ntouch /var/tmp/build/perform_cleanup\n"  # user data as Image Builder's


def user_data(script: str) -> str:
    return base64.b64encode(script.encode()).decode()


def imagewright(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "imagewright", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
    )


def output_of(*argv: object) -> str:
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, check=True).stdout


def test_xfs_uefi_every_format_distributed_to_a_folder(state: Path, tmp_path: Path) -> None:
    recipe = write_recipe(
        tmp_path,
        name="shared",
        settings=f"""\
workingDirectory: /var/tmp/build
additionalInstanceConfiguration:
  userDataOverride: {user_data(KEEP_CLEANUP)}
fileSystem: xfs
bootMode: uefi
outputFormats: [raw, qcow2, vmdk, vhd, tar]
distributionConfiguration: distribution.yml
""",
    )
    (tmp_path / "distribution.yml").write_text(
        f"""\
name: local-share
distributions:
  - region: eu-west-1
    amiDistributionConfiguration:
      kmsKeyId: alias/images
      launchPermission: {{userIds: ["{ACCOUNT}"]}}
    localExportConfiguration: {{directory: shared}}
"""
    )
    expires = datetime.date.today() + datetime.timedelta(days=30)
    (tmp_path / "policy.yml").write_text(
        f"""\
trustedAccounts: ["{ACCOUNT}"]
suppressions:
  - {{rule: recipe-no-patch-step, reason: the base is bootstrapped current, expires: {expires}}}
  - {{rule: pending-security-updates, reason: the cached base may age, expires: {expires}}}
"""
    )
    output = tmp_path / "out"
    result = build(
        recipe,
        state_directory=state,
        output_dir=output,
        policy=load_policy(tmp_path / "policy.yml"),
    )
    record = result.record
    assert record.status == ImageStatus.available
    artifacts = {a.format: a.path for a in record.artifacts}
    assert set(artifacts) == {"raw", "qcow2", "vmdk", "vhd", "tar"}

    for fmt, qemu_format in (("qcow2", "qcow2"), ("vmdk", "vmdk"), ("vhd", "vpc")):
        info = json.loads(output_of("qemu-img", "info", "--output=json", artifacts[fmt]))
        assert info["format"] == qemu_format, fmt
    listing = output_of("tar", "-tf", artifacts["tar"]).splitlines()
    assert {"./etc/os-release", "etc/os-release"} & set(listing)

    # The raw disk: GPT with an ESP holding the removable-media boot loader, and an xfs root.
    table = json.loads(output_of("sfdisk", "--json", artifacts["raw"]))["partitiontable"]
    assert table["label"] == "gpt"
    (esp,) = [p for p in table["partitions"] if p["type"] == ESP_TYPE]
    loader = output_of(
        "mdir", "-b", "-i", f"{artifacts['raw']}@@{esp['start'] * 512}", "::/EFI/BOOT"
    )
    assert "::/EFI/BOOT/BOOTX64.EFI" in loader.split()
    (root,) = [p for p in table["partitions"] if p["type"] != ESP_TYPE]
    root_type = output_of("blkid", "--probe", "--offset", root["start"] * 512, "--match-tag",
                          "TYPE", "--output", "value", artifacts["raw"])  # fmt: skip
    assert root_type.strip() == "xfs"

    # The override created perform_cleanup, so the seed's clean-up ran in workingDirectory.
    assert "cleanupSkipped" not in record.notes
    with open_target(artifacts["raw"], writable=False, work_dir=tmp_path / "check") as opened:
        assert opened.root.read_text("/etc/motd") == "built-by-imagewright\n"
        assert not opened.root.glob("/etc/ssh/ssh_host_*")
        assert not opened.root.glob("/var/tmp/build/TOE_*")
        assert not opened.root.exists("/var/tmp/build/perform_cleanup")

    # Distributed: every artifact, checksums intact, launch permissions, recorded in the catalog.
    shared = tmp_path / "shared" / "shared-1.0.0-1"
    sums = (output / "shared-1.0.0-1.SHA256SUMS").read_text()
    assert len(sums.splitlines()) == 5
    subprocess.run(["sha256sum", "--check", "--quiet"], input=sums, text=True, cwd=shared,
                   check=True)  # fmt: skip
    permissions = json.loads((shared / "launch-permissions.json").read_text())
    assert permissions["sharedWith"]["accounts"] == [ACCOUNT]
    assert permissions["sharedWith"]["public"] is False
    assert {a["name"] for a in permissions["artifacts"]} == {p.name for p in artifacts.values()}
    (distribution,) = record.distributions
    assert distribution.target == str(shared)
    assert distribution.detail["sharedWith"]["accounts"] == [ACCOUNT]
    assert "launch-permissions.json" in distribution.detail["files"]


def test_user_data_without_perform_cleanup_skips_the_clean_up(state: Path, tmp_path: Path) -> None:
    script = "#!/bin/sh\necho configured-by-user-data > /etc/user-data-ran\n"
    recipe = write_recipe(
        tmp_path,
        name="override",
        settings=f"""\
additionalInstanceConfiguration:
  userDataOverride: {user_data(script)}
tests: {{enabled: false}}
""",
    )
    result = build(recipe, state_directory=state, output_dir=tmp_path / "out")
    record = result.record
    assert record.status == ImageStatus.available
    skipped = record.notes["cleanupSkipped"]
    assert skipped
    assert all("userDataOverride is set" in reason for reason in skipped.values())
    sanitize = json.loads((result.log_dir / "sanitize.json").read_text())
    assert {op["status"] for op in sanitize["operations"]} == {"skipped"}
    assert "The clean-up skipped" in (result.log_dir / "build.log").read_text()
    with Catalog(state) as catalog:
        assert catalog.get(record.id).notes["cleanupSkipped"] == skipped

    raw = record.artifact("raw")
    assert raw is not None
    with open_target(raw.path, writable=False, work_dir=tmp_path / "check") as opened:
        assert opened.root.read_text("/etc/user-data-ran") == "configured-by-user-data\n"
        assert opened.root.glob("/etc/ssh/ssh_host_*")  # kept, as the seed's rules say
        assert opened.root.glob("/tmp/TOE_*")
        assert opened.root.exists("/root/.ssh/authorized_keys")


def test_public_distribution_of_an_image_with_a_secret_is_blocked(
    state: Path, tmp_path: Path
) -> None:
    recipe = write_recipe(
        tmp_path,
        name="public",
        build_command="mkdir -p /opt/app && printf '[aws]\\naws_access_key_id = %s\\n"
        f"aws_secret_access_key = %s\\n' {FAKE_ACCESS_KEY} {FAKE_SECRET_KEY} > /opt/app/config.ini",
        settings="distributionConfiguration: distribution.yml\ntests: {enabled: false}\n",
    )
    (tmp_path / "distribution.yml").write_text(
        """\
name: public
distributions:
  - amiDistributionConfiguration:
      kmsKeyId: alias/images
      launchPermission: {userGroups: [all]}
    localExportConfiguration: {directory: shared}
"""
    )
    output = tmp_path / "out"
    result = imagewright("build", recipe, "--state-dir", state, "--output-dir", output)
    assert result.returncode == 1, result.stderr
    assert "distribution of public-1.0.0-1 blocked" in result.stderr
    assert "critical image-public" in result.stderr
    assert "Traceback" not in result.stderr

    scan = json.loads((output / "public-1.0.0-1.scan.json").read_text())
    assert any(
        f["category"] == "secret" and f["path"] == "/opt/app/config.ini" for f in scan["findings"]
    )
    assert not (tmp_path / "shared").exists()
    with Catalog(state) as catalog:
        (record,) = catalog.images()
    assert record.status == ImageStatus.failed
    assert "blocked" in (record.error or "")
    assert not record.artifacts
    assert not record.distributions


def test_full_output_folder_fails_the_build_with_a_clear_error(state: Path, tmp_path: Path) -> None:
    write_recipe(tmp_path, name="full", settings="tests: {enabled: false}\n")
    output = tmp_path / "tiny"
    output.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", output], check=True)
    try:
        # Relative folders, as a user types them.
        result = imagewright("build", "recipe.yml", "--state-dir", "state", "--output-dir", "tiny",
                             cwd=tmp_path)  # fmt: skip
        left = sorted(p.name for p in output.iterdir())
    finally:
        subprocess.run(["umount", output], check=True)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert f"no space left on the device: the output folder {output} is full" in result.stderr
    assert "--output-dir" in result.stderr
    assert left == ["full-1.0.0-1.logs", "full-1.0.0-1.scan.json"]  # no partial image
    with Catalog(state) as catalog:
        (record,) = catalog.images()
    assert record.status == ImageStatus.failed
    assert record.error is not None and "output folder" in record.error
    assert not list((state / "work").iterdir())
    assert loops_backed_below(state) == []

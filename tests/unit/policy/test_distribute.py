"""The distribution step: the gate blocks, or the artifacts reach a local folder and an S3
bucket with launch-permissions.json.

S3 is moto's server, run as a subprocess on a free port: a stand-in, because AWS cannot be
reached from here. boto3 talks to it over HTTP exactly as it would to S3 (AWS_ENDPOINT_URL_S3).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from imagewright.findings import Finding, Report, Severity
from imagewright.pipeline.distribute import (
    LAUNCH_PERMISSIONS,
    DistributionBlocked,
    distribute,
    read_scan_report,
)
from imagewright.policy.policyfile import Policy
from imagewright.reports import render

TRUSTED = Policy(trusted_accounts=["111122223333"])


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("moto's S3 server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", s3_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    client = boto3.client("s3", region_name="eu-west-1")
    client.create_bucket(
        Bucket="golden-images", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    yield client
    for item in client.list_objects_v2(Bucket="golden-images").get("Contents", []):
        client.delete_object(Bucket="golden-images", Key=item["Key"])
    client.delete_bucket(Bucket="golden-images")


def artifacts(tmp_path: Path) -> list[Path]:
    raw = tmp_path / "build" / "golden.raw"
    raw.parent.mkdir()
    with raw.open("wb") as stream:
        stream.write(b"boot sector")
        stream.truncate(64 << 20)  # sparse: 64 MiB of which almost nothing is allocated
    tar = tmp_path / "build" / "golden.tar"
    tar.write_bytes(b"tar bytes" * 100)
    return [raw, tar]


def dist_config(tmp_path: Path, launch_permission: str = "") -> Path:
    path = tmp_path / "dist.yml"
    path.write_text(
        "name: internal\n"
        "distributions:\n"
        "  - region: eu-west-1\n"
        "    amiDistributionConfiguration:\n"
        "      kmsKeyId: alias/images\n"
        "      targetAccountIds: ['111122223333']\n" + launch_permission + "    "
        "localExportConfiguration:\n"
        "      directory: out\n"
        "    s3ExportConfiguration:\n"
        "      s3Bucket: golden-images\n"
        "      s3Prefix: linux/\n"
    )
    return path


def clean_scan(target: str = "golden.raw") -> Report:
    return Report(target=target, findings=[])


def secret_scan(target: str = "golden.raw") -> Report:
    return Report(
        target=target,
        findings=[
            Finding(
                rule_id="aws-access-key-id",
                category="secret",
                severity=Severity.critical,
                title="AWS access key ID",
                path="/root/.aws/credentials",
                line=2,
                evidence="AKIA… (20 chars)",
            )
        ],
    )


def test_passing_gate_delivers_to_folder_and_bucket(tmp_path: Path, s3: object) -> None:
    files = artifacts(tmp_path)
    record = distribute(
        files, clean_scan(), dist_config(tmp_path), TRUSTED, image_name="golden-1.0.0"
    )
    assert [d.kind for d in record.deliveries] == ["local", "s3"]
    folder = tmp_path / "out" / "golden-1.0.0"
    assert (folder / "golden.raw").read_bytes() == files[0].read_bytes()
    assert (folder / "golden.raw").stat().st_blocks * 512 < 1 << 20  # still sparse
    manifest = json.loads((folder / LAUNCH_PERMISSIONS).read_text())
    assert manifest["sharedWith"]["accounts"] == ["111122223333"]
    assert manifest["sharedWith"]["public"] is False
    assert {a["name"] for a in manifest["artifacts"]} == {"golden.raw", "golden.tar"}
    assert not list(folder.glob(".*partial"))

    client = boto3.client("s3", region_name="eu-west-1")
    keys = {o["Key"] for o in client.list_objects_v2(Bucket="golden-images")["Contents"]}
    assert keys == {
        "linux/golden-1.0.0/golden.raw",
        "linux/golden-1.0.0/golden.tar",
        f"linux/golden-1.0.0/{LAUNCH_PERMISSIONS}",
    }
    body = client.get_object(Bucket="golden-images", Key="linux/golden-1.0.0/golden.tar")["Body"]
    assert body.read() == files[1].read_bytes()
    assert record.deliveries[1].location == "s3://golden-images/linux/golden-1.0.0/"


def test_public_distribution_of_an_image_with_a_secret_is_blocked(
    tmp_path: Path, s3: object
) -> None:
    config = dist_config(tmp_path, "      launchPermission:\n        userGroups: [all]\n")
    allows_public = Policy(trusted_accounts=["111122223333"], allow_public_images=True)
    with pytest.raises(DistributionBlocked) as blocked:
        distribute(artifacts(tmp_path), secret_scan(), config, allows_public, image_name="golden")
    assert blocked.value.exit_code == 1
    (finding,) = blocked.value.report.at_or_above(Severity.high)
    assert (finding.rule_id, finding.severity, finding.line) == ("image-public", "critical", 8)
    assert "image-public" in str(blocked.value) and f"{config}:8" in str(blocked.value)
    assert not (tmp_path / "out").exists()
    client = boto3.client("s3", region_name="eu-west-1")
    assert "Contents" not in client.list_objects_v2(Bucket="golden-images")


def test_public_distribution_of_a_clean_image_allowed_by_policy(tmp_path: Path) -> None:
    config = tmp_path / "dist.yml"
    config.write_text(
        "name: public\ndistributions:\n  - amiDistributionConfiguration:\n"
        "      kmsKeyId: alias/k\n      launchPermission: {userGroups: [all]}\n"
        "    localExportConfiguration: {directory: out}\n"
    )
    record = distribute(
        artifacts(tmp_path)[1:],
        clean_scan(),
        config,
        Policy(allow_public_images=True),
        image_name="open",
    )
    (delivery,) = record.deliveries
    assert delivery.shared_with.public
    manifest = json.loads((tmp_path / "out" / "open" / LAUNCH_PERMISSIONS).read_text())
    assert manifest["sharedWith"]["public"] is True


def test_scan_report_round_trips_through_the_json_renderer(tmp_path: Path) -> None:
    path = tmp_path / "scan.json"
    path.write_text(render(secret_scan(), "json"))
    report = read_scan_report(path)
    assert report.findings == secret_scan().findings


def test_cli_blocks_with_a_message_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from imagewright.cli import main

    files = artifacts(tmp_path)
    scan = tmp_path / "scan.json"
    scan.write_text(render(secret_scan(), "json"))
    config = tmp_path / "public.yml"
    config.write_text(
        "name: public\ndistributions:\n  - amiDistributionConfiguration:\n"
        "      kmsKeyId: alias/k\n      launchPermission: {userGroups: [all]}\n"
        "    localExportConfiguration: {directory: out}\n"
    )
    argv = ["distribute", str(files[0]), "--config", str(config), "--scan-report", str(scan)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "distribution of golden blocked" in err
    assert "critical image-public" in err
    assert not (tmp_path / "out").exists()

    scan.write_text(render(clean_scan(), "json"))
    assert main([*argv, "--policy", str(allow_public(tmp_path))]) == 0
    assert "golden: " in capsys.readouterr().out
    assert (tmp_path / "out" / "golden" / "golden.raw").is_file()


def allow_public(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yml"
    path.write_text("allowPublicImages: true\n")
    return path


def test_cli_needs_a_scan_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from imagewright.cli import main

    files = artifacts(tmp_path)
    assert main(["distribute", str(files[0]), "--config", str(dist_config(tmp_path))]) == 2
    assert "--scan-report" in capsys.readouterr().err


def test_no_credentials_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from imagewright.errors import NeedsAwsError

    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9")
    with pytest.raises(NeedsAwsError):
        distribute(
            artifacts(tmp_path), clean_scan(), dist_config(tmp_path), TRUSTED, image_name="g"
        )


@pytest.mark.parametrize("name", ["../escape", "a/b", ".hidden", ""])
def test_image_name_cannot_leave_the_target_folder(tmp_path: Path, name: str) -> None:
    from imagewright.errors import ConfigError

    with pytest.raises(ConfigError, match="cannot be a folder or key name"):
        distribute(
            artifacts(tmp_path), clean_scan(), dist_config(tmp_path), TRUSTED, image_name=name
        )
    assert not (tmp_path / "out").exists()

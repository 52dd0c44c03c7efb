"""The distribution gate on a real Debian root file system: a secret planted by a build step is
found by the scan and blocks a public distribution; the same image without it is delivered."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from imagewright.paths import ImageRoot
from imagewright.pipeline.distribute import DistributionBlocked, distribute
from imagewright.policy.policyfile import Policy
from imagewright.scan.engine import scan_image

pytestmark = pytest.mark.integration
ONLY_SECRETS = frozenset({"patches", "hygiene", "deleted-data"})  # the parts the gate is about

PUBLIC = (
    "name: public\ndistributions:\n  - amiDistributionConfiguration:\n"
    "      kmsKeyId: alias/images\n      launchPermission: {userGroups: [all]}\n"
    "    localExportConfiguration: {directory: out}\n"
)


def pack(root: Path, destination: Path) -> Path:
    with tarfile.open(destination, "w") as archive:
        archive.add(root / "etc", arcname="etc")
    return destination


def test_planted_secret_blocks_public_distribution(debian_tree: Path, tmp_path: Path) -> None:
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "b3BlbnNzaC1rZXktdjEAAAAA" * 20
    deploy = debian_tree / "home" / "deploy" / ".ssh"
    deploy.mkdir(parents=True)
    (deploy / "id_ed25519").write_text(key + "\n-----END OPENSSH PRIVATE KEY-----\n")
    config = tmp_path / "public.yml"
    config.write_text(PUBLIC)
    artifact = pack(debian_tree, tmp_path / "image.tar")
    report = scan_image(ImageRoot(debian_tree), target="debian", skip=ONLY_SECRETS).report
    assert any(f.category == "secret" for f in report.findings)

    policy = Policy(allow_public_images=True)
    with pytest.raises(DistributionBlocked) as blocked:
        distribute([artifact], report, config, policy, image_name="debian")
    assert blocked.value.report.findings[0].severity == "critical"
    assert not (tmp_path / "out").exists()

    (deploy / "id_ed25519").unlink()
    for host_key in (debian_tree / "etc" / "ssh").glob("ssh_host_*"):
        host_key.unlink()  # as the mandatory clean-up does
    clean = scan_image(ImageRoot(debian_tree), target="debian", skip=ONLY_SECRETS)
    assert not [f for f in clean.report.findings if f.category in ("secret", "deleted-data")]
    record = distribute([artifact], clean.report, config, policy, image_name="debian")
    manifest = json.loads((tmp_path / "out" / "debian" / "launch-permissions.json").read_text())
    assert manifest["sharedWith"]["public"] is True
    assert record.deliveries[0].shared_with.public

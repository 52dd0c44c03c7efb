"""The secret rules on a real Debian tree (mmdebstrap) with a planted corpus."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import extract
from tests.integration.scan.scan_support import Expected, plant

from imagewright.findings import Severity
from imagewright.paths import ImageRoot
from imagewright.scan.engine import ScanResult, scan_image
from imagewright.scan.secrets import SECRET_RULES

pytestmark = pytest.mark.integration

SECRETS_ONLY = frozenset({"deleted-data", "hygiene", "patches"})


def link_tree(source: Path, destination: Path) -> None:
    """A copy whose files are hard links (fast); change files by replacing them, never in place.
    cp, not shutil.copytree: the tree holds device nodes that must not be read."""
    subprocess.run(["cp", "-al", source, destination], check=True)


@pytest.fixture(scope="module")
def clean_tree(debian_tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The Debian base without its SSH host keys: nothing in it was put there by a build."""
    root = extract(debian_tarball, tmp_path_factory.mktemp("clean") / "root")
    for key in (root / "etc" / "ssh").glob("ssh_host_*"):
        key.unlink()
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def planted(
    clean_tree: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Path, list[Expected], ScanResult]]:
    root = tmp_path_factory.mktemp("planted") / "root"
    link_tree(clean_tree, root)
    expected = plant(root)
    result = scan_image(ImageRoot(root), target=str(root), skip=SECRETS_ONLY)
    yield root, expected, result
    shutil.rmtree(root, ignore_errors=True)


def test_corpus_covers_every_rule_with_enough_secrets(
    planted: tuple[Path, list[Expected], ScanResult],
) -> None:
    _, expected, _ = planted
    assert len(expected) >= 60
    assert {rule for _, _, rule in expected} == set(SECRET_RULES.names())


def test_recall_on_planted_secrets(planted: tuple[Path, list[Expected], ScanResult]) -> None:
    _, expected, result = planted
    found = {(f.path, f.line, f.rule_id) for f in result.report.findings}
    missed = [e for e in expected if e not in found]
    recall = 1 - len(missed) / len(expected)
    assert recall >= 0.95, f"recall {recall:.2%}, missed {missed}"
    assert not missed, f"missed {missed}"


def test_nothing_reported_besides_the_planted_secrets(
    planted: tuple[Path, list[Expected], ScanResult],
) -> None:
    _, expected, result = planted
    extra = [f for f in result.report.findings if (f.path, f.line, f.rule_id) not in expected]
    assert extra == []


def test_no_secret_value_in_the_report(planted: tuple[Path, list[Expected], ScanResult]) -> None:
    root, _, result = planted
    dumped = result.report.model_dump_json()
    for finding in result.report.findings:
        assert finding.evidence is not None
        assert finding.evidence.endswith(" chars)")
        shown = finding.evidence.split("…", 1)[0]
        assert len(shown) <= 4
    credentials = (root / "root" / ".aws" / "credentials").read_text()
    secret = credentials.split("aws_secret_access_key = ", 1)[1].split()[0]
    assert secret not in dumped and secret[:5] not in dumped


def test_debian_tree_has_no_secret_findings(clean_tree: Path) -> None:
    result = scan_image(ImageRoot(clean_tree), target=str(clean_tree), skip=SECRETS_ONLY)
    secrets = [
        f
        for f in result.report.findings
        if f.category == "secret" and f.severity.at_least(Severity.medium)
    ]
    assert secrets == []
    assert result.files.files > 5000
    # Debian's own files do match rules (test keys, documentation); they are recognised
    assert result.files.package_hits_dropped > 0


def test_changed_package_file_is_scanned(clean_tree: Path, tmp_path: Path) -> None:
    root = tmp_path / "root"
    link_tree(clean_tree, root)
    conffile = root / "etc" / "ssh" / "sshd_config"  # of openssh-server
    token = "ghp_" + "Q7w8E9r0T1y2U3i4O5p6A7s8D9f0G1h2J3k4"
    text = conffile.read_text()
    conffile.unlink()  # a hard link to the clean tree's file
    conffile.write_text(text + f"# token {token}\n")
    result = scan_image(ImageRoot(root), target=str(root), skip=SECRETS_ONLY)
    assert [(f.path, f.rule_id) for f in result.report.findings] == [
        ("/etc/ssh/sshd_config", "github-pat")
    ]


def test_checks_on_the_debian_tree(clean_tree: Path) -> None:
    """Debian as mmdebstrap makes it: only OpenSSH's default of accepting passwords is reported
    (the host keys were removed); no world-writable, unowned or unpackaged set-ID files."""
    result = scan_image(
        ImageRoot(clean_tree), target="debian", skip=frozenset({"secrets", "patches"})
    )
    assert [(f.rule_id, f.path) for f in result.report.findings] == [
        ("sshd-password-authentication", "/etc/ssh/sshd_config")
    ]

"""Pending security updates, with apt against the host's real mirror.

The situation is made from real packages: a library whose installed version came from
bookworm-security is downgraded to the version in bookworm itself (dpkg -i of the real .deb),
so the security suite has a newer version of it than the image.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from imagewright.paths import ImageRoot
from imagewright.scan.engine import scan_image
from imagewright.scan.patches import image_apt

pytestmark = [pytest.mark.integration, pytest.mark.network]

# Libraries with no maintainer scripts beyond ldconfig triggers: safe to downgrade in a tree.
PREFERRED = ("libtasn1-6", "libzstd1", "liblzma5", "libgcrypt20", "libpcre2-8-0")


def _security_only_package(options: list[str], packages: list[str]) -> tuple[str, str] | None:
    """(package, older version in the main suite) for an installed version from -security."""
    policy = subprocess.run(
        ["apt-cache", *options, "policy", *packages], capture_output=True, text=True, check=True
    ).stdout
    for block in re.split(r"\n(?=\S)", policy):
        name = block.split(":", 1)[0]
        installed = re.search(r"Installed: (\S+)", block)
        versions = re.findall(r"^ (?:\*\*\*| {3}) (\S+) \d+\n((?:\s{8}.*\n?)+)", block, re.M)
        if installed is None or len(versions) < 2:
            continue
        origins = dict(versions)
        current = origins.get(installed.group(1), "")
        if "-security" not in current:
            continue
        for version, sources in versions:
            if version != installed.group(1) and "-security" not in sources:
                return name, version
    return None


def test_pending_security_update_is_high(debian_tree: Path, tmp_path: Path) -> None:
    root = ImageRoot(debian_tree)
    with image_apt(root, "bookworm") as options:
        chosen = _security_only_package(options, list(PREFERRED))
        if chosen is None:
            pytest.fail(f"none of {PREFERRED} has a security update in bookworm-security")
        package, older = chosen
        subprocess.run(
            ["apt-get", *options, "download", f"{package}={older}"],
            cwd=tmp_path,
            check=True,
            capture_output=True,
        )
    deb = next(tmp_path.glob(f"{package}_*.deb"))
    subprocess.run(
        ["dpkg", f"--root={debian_tree}", "--force-downgrade", "-i", deb],
        check=True,
        capture_output=True,
    )

    result = scan_image(root, target="tree", skip=frozenset({"secrets", "hygiene"}))
    [finding] = [f for f in result.report.findings if f.rule_id == "pending-security-updates"]
    assert finding.severity == "high"
    assert finding.category == "patch"
    assert finding.evidence is not None and package in finding.evidence

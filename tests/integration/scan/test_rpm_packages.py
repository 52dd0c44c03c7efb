"""Files from rpm packages (the SQLite rpm database) are the distribution's, like dpkg's."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from imagewright.paths import ImageRoot
from imagewright.scan.engine import scan_image
from imagewright.scan.rpmdb import rpm_files

pytestmark = pytest.mark.integration

KEY = "api_key = 9f8e7d6c5b4a39281706f5e4d3c2b1a0"
TOKEN = "ghp_" + "RpmPackagedT0k3nAbCdEfGhIjKlMnOpQrSt"
SPEC = f"""Name: demo
Version: 1.0
Release: 1
Summary: demo
License: MIT
BuildArch: noarch
%description
demo
%install
mkdir -p %{{buildroot}}/etc/demo %{{buildroot}}/usr/lib/demo
printf '{KEY}\\n' > %{{buildroot}}/etc/demo/demo.conf
printf 'token={TOKEN}\\n' > %{{buildroot}}/usr/lib/demo/client.py
%files
%config /etc/demo/demo.conf
/usr/lib/demo/client.py
"""


@pytest.fixture
def rpm_tree(tmp_path: Path) -> Path:
    top = tmp_path / "rpmbuild"
    (top / "SPECS").mkdir(parents=True)
    (top / "SPECS" / "demo.spec").write_text(SPEC)
    subprocess.run(
        ["rpmbuild", "-bb", "--quiet", "--define", f"_topdir {top}", top / "SPECS" / "demo.spec"],
        check=True,
        capture_output=True,
    )
    [package] = (top / "RPMS" / "noarch").glob("demo-*.rpm")
    root = tmp_path / "root"
    rpm: list[str | Path] = ["rpm", "--root", root, "--dbpath", "/var/lib/rpm"]
    subprocess.run([*rpm, "--initdb"], check=True, capture_output=True)
    subprocess.run(
        [*rpm, "-i", "--nodeps", "--noscripts", "--ignoreos", package],
        check=True,
        capture_output=True,
    )
    return root


def test_rpm_database_is_read(rpm_tree: Path) -> None:
    files = {path: algorithm for path, algorithm, _ in rpm_files(ImageRoot(rpm_tree))}
    assert files == {"/etc/demo/demo.conf": "sha256", "/usr/lib/demo/client.py": "sha256"}


def test_unchanged_rpm_files_are_not_reported_changed_ones_are(rpm_tree: Path) -> None:
    skip = frozenset({"deleted-data", "hygiene", "patches"})
    result = scan_image(ImageRoot(rpm_tree), target="rpm", skip=skip)
    assert result.report.findings == []
    assert result.files.package_hits_dropped == 2
    conffile = rpm_tree / "etc" / "demo" / "demo.conf"
    conffile.write_text(KEY.replace("9f8e", "1a2b") + "\n")
    result = scan_image(ImageRoot(rpm_tree), target="rpm", skip=skip)
    assert [(f.rule_id, f.path) for f in result.report.findings] == [
        ("password-in-config", "/etc/demo/demo.conf")
    ]

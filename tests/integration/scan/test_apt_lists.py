"""apt's downloaded package lists: the distribution's data, recognised by the digests in the
repository's Release file. Package descriptions hold example credentials in URLs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from imagewright.paths import ImageRoot
from imagewright.scan.engine import ScanResult, scan_image
from imagewright.scan.packages import APT_LISTS, PackageFiles

pytestmark = [pytest.mark.integration, pytest.mark.network]

SECRETS_ONLY = frozenset({"deleted-data", "hygiene", "patches"})
PLANTED_URL = "mysql://deploy:" + "Qv7rT2xW9pLm@db.internal/app"


def apt_update(root: Path) -> None:
    """What `apt-get update` in the image writes: its sources, uncompressed lists with English
    descriptions. Run by the host's apt with none of the host's own settings (which keep lists
    compressed and fetch no descriptions)."""
    empty = root / "tmp" / "no-apt-conf"
    empty.mkdir()
    settings = {
        "Dir::Etc::Parts": empty,
        "Dir::Etc::SourceList": root / "etc/apt/sources.list",
        "Dir::Etc::SourceParts": root / "etc/apt/sources.list.d",
        "Dir::State::Lists": root / "var/lib/apt/lists",
        "Dir::Cache": root / "var/cache/apt",
        "Acquire::Languages": "en",
        "Acquire::GzipIndexes": "false",
        "APT::Sandbox::User": "root",
        "Debug::NoLocking": "1",
    }
    options = [f"-o{key}={value}" for key, value in settings.items()]
    subprocess.run(["apt-get", "-q", *options, "update"], check=True, capture_output=True)
    empty.rmdir()


def in_lists(result: ScanResult) -> list[tuple[str, str | None]]:
    """Findings in the lists (the base's SSH host keys are found as well, elsewhere)."""
    return [
        (f.rule_id, f.path) for f in result.report.findings if (f.path or "").startswith(APT_LISTS)
    ]


def test_package_lists_are_not_reported(debian_tree: Path) -> None:
    apt_update(debian_tree)
    lists = debian_tree / APT_LISTS.lstrip("/")
    described = next(
        p for p in lists.glob("*_i18n_Translation-en") if b"://keystone:foobar@" in p.read_bytes()
    )
    packages = PackageFiles(ImageRoot(debian_tree))
    fetched = [p for p in lists.glob("*_*") if p.is_file() and not p.name.endswith("Release")]
    assert len(fetched) >= 6  # Packages and Translation-en of three suites
    assert all(packages.unchanged(f"{APT_LISTS}/{p.name}") for p in fetched)

    assert in_lists(scan_image(ImageRoot(debian_tree), target="tree", skip=SECRETS_ONLY)) == []

    # a changed list is no longer the distribution's: what was added to it is reported
    with described.open("a") as handle:
        handle.write(f"Description-en: planted\n url = {PLANTED_URL}\n")
    result = scan_image(ImageRoot(debian_tree), target="tree", skip=SECRETS_ONLY)
    assert in_lists(result) == [("credentials-in-url", f"{APT_LISTS}/{described.name}")]

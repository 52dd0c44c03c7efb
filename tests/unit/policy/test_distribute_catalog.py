"""distribute of a catalog image: the gate uses the image's real scan and its recipe, and the
catalog records where the image went and with whom it is shared there."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imagewright.cli import main
from imagewright.paths import ImageRoot
from imagewright.pipeline.catalog import Artifact, Catalog
from imagewright.pipeline.distribute import sha256_of_file
from imagewright.reports import render
from imagewright.scan.engine import scan_image

CORPUS = Path(__file__).parents[2] / "data" / "lint"
PLANTED_KEY = "AKIAZ7KJ3Q4TPLWVBNXR"
PLANTED_SECRET = "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"


def image_root(tmp_path: Path, *, secret: bool) -> Path:
    """A small root file system; with secret, an AWS key left in root's credentials file."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text('ID=debian\nVERSION_ID="12"\n')
    (root / "root").mkdir(mode=0o700)
    if secret:
        (root / "root" / ".aws").mkdir()
        (root / "root" / ".aws" / "credentials").write_text(
            f"[default]\naws_access_key_id = {PLANTED_KEY}\n"
            f"aws_secret_access_key = {PLANTED_SECRET}\n"
        )
    return root


def scan_report(tmp_path: Path, *, secret: bool) -> Path:
    """The report of a real scan of the root file system, as `scan --format json` writes it."""
    root = image_root(tmp_path, secret=secret)
    result = scan_image(ImageRoot(root), target=str(root), skip=frozenset({"patches"}))
    path = tmp_path / "scan.json"
    path.write_text(render(result.report, "json"))
    return path


def catalog_image(tmp_path: Path) -> tuple[Path, int]:
    state = tmp_path / "state"
    raw = tmp_path / "golden.raw"
    raw.write_bytes(b"image bytes" * 1000)
    recipe = tmp_path / "recipe.yml"
    recipe.write_text((CORPUS / "imagewright" / "recipe-good.yml").read_text())
    (tmp_path / "components").mkdir()
    (tmp_path / "components" / "patch.yml").write_text(
        (CORPUS / "imagewright" / "components" / "patch.yml").read_text()
    )
    with Catalog(state) as catalog:
        record = catalog.begin_build(
            "golden", "1.0.0", recipe={"name": "golden"}, recipe_path=recipe, work_dir=tmp_path
        )
        catalog.mark_available(
            record.id, [Artifact("raw", raw, sha256_of_file(raw), raw.stat().st_size)]
        )
    return state, record.id


def public_config(tmp_path: Path) -> Path:
    config = tmp_path / "public.yml"
    config.write_text(
        "name: public\ndistributions:\n  - amiDistributionConfiguration:\n"
        "      kmsKeyId: alias/images\n      launchPermission: {userGroups: [all]}\n"
        "    localExportConfiguration: {directory: out}\n"
    )
    return config


def test_public_distribution_of_an_image_with_a_planted_secret_is_blocked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, image_id = catalog_image(tmp_path)
    report = scan_report(tmp_path, secret=True)
    policy = tmp_path / "policy.yml"
    policy.write_text("allowPublicImages: true\n")
    code = main(
        ["distribute", "golden:1.0.0", "--config", str(public_config(tmp_path)),
         "--scan-report", str(report), "--policy", str(policy), "--state-dir", str(state)]
    )  # fmt: skip
    assert code == 1
    err = capsys.readouterr().err
    assert "distribution of golden-1.0.0-1 blocked" in err
    assert "critical image-public" in err and "secret or deleted-data" in err
    assert PLANTED_KEY not in err and PLANTED_SECRET not in err
    assert not (tmp_path / "out").exists()
    with Catalog(state) as catalog:
        assert catalog.get(image_id).distributions == []


def test_clean_image_is_distributed_and_recorded_in_the_catalog(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, image_id = catalog_image(tmp_path)
    config = tmp_path / "dist.yml"
    config.write_text(
        "name: internal\ndistributions:\n  - region: eu-west-1\n"
        "    amiDistributionConfiguration:\n      kmsKeyId: alias/images\n"
        "      targetAccountIds: ['111122223333']\n"
        "    localExportConfiguration: {directory: out}\n"
    )
    code = main(
        ["distribute", "golden:1.0.0", "--config", str(config), "--trusted-accounts",
         "111122223333", "--scan-report", str(scan_report(tmp_path, secret=False)),
         "--state-dir", str(state)]
    )  # fmt: skip
    assert code == 0
    assert "(shared with: 111122223333)" in capsys.readouterr().out
    folder = tmp_path / "out" / "golden-1.0.0-1"
    manifest = json.loads((folder / "launch-permissions.json").read_text())
    with Catalog(state) as catalog:
        record = catalog.get(image_id)
    assert manifest["artifacts"][0]["sha256"] == record.artifacts[0].sha256
    (distribution,) = record.distributions
    assert distribution.target == str(folder)
    assert distribution.detail["sharedWith"]["accounts"] == ["111122223333"]
    assert distribution.detail["files"] == ["golden.raw", "launch-permissions.json"]


def test_the_catalog_image_recipe_is_gated_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state, _ = catalog_image(tmp_path)
    recipe = tmp_path / "recipe.yml"
    recipe.write_text(recipe.read_text().replace("encrypted: true", "encrypted: false"))
    config = tmp_path / "dist.yml"
    config.write_text(
        "name: local\ndistributions:\n  - localExportConfiguration: {directory: out}\n"
    )
    code = main(
        ["distribute", "golden:1.0.0", "--config", str(config), "--scan-report",
         str(scan_report(tmp_path, secret=False)), "--state-dir", str(state)]
    )  # fmt: skip
    assert code == 1
    assert f"recipe-volume-unencrypted {recipe}:" in capsys.readouterr().err

"""imagewright lint: exit 0 (nothing at or above --severity), 1 (findings), 2 (bad input)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from imagewright.cli import main

CORPUS = Path(__file__).parents[2] / "data" / "lint"
POLICY = str(CORPUS / "policy.yml")


def test_good_configurations_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(CORPUS / "cloudformation" / "good-stack.yml"),
             str(CORPUS / "awscli" / "get-image-recipe-good.json")]  # fmt: skip
    assert main(["lint", *files, "--policy", POLICY]) == 0
    assert "0 findings" in capsys.readouterr().out


def test_findings_exit_1_and_json_has_the_finding_fields(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = CORPUS / "imagewright" / "infrastructure-weak.yml"
    assert main(["lint", str(path), "--format", "json"]) == 1
    document = json.loads(capsys.readouterr().out)
    imds = next(f for f in document["findings"] if f["rule_id"] == "imds-v2-not-required")
    assert imds["path"] == str(path)
    assert imds["line"] == 7
    assert imds["resource"] == "debug-build"
    assert imds["severity"] == "high"
    assert imds["references"]["security-hub"] == "EC2.8"


def test_severity_threshold(tmp_path: Path) -> None:
    path = str(CORPUS / "cloudformation" / "infra-hop-limit.yml")  # one medium finding
    assert main(["lint", path]) == 0
    assert main(["lint", path, "--severity", "medium"]) == 1
    policy = tmp_path / "policy.yml"
    policy.write_text("severityThreshold: low\n")
    assert main(["lint", path, "--policy", str(policy)]) == 1
    assert main(["lint", path, "--policy", str(policy), "--severity", "critical"]) == 0


def test_trusted_accounts_option(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(CORPUS / "cloudformation" / "dist-untrusted-account.yml")
    assert main(["lint", path]) == 1
    assert main(["lint", path, "--trusted-accounts", "111122223333,999988887777"]) == 0


def test_bad_input_exits_2_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "dist.yml"
    path.write_text("name: d\ndistributions:\n  - regoin: eu-west-1\n")
    assert main(["lint", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:3:5: distributions[0].regoin: unknown field (did you mean 'region'?)" in err
    assert "Traceback" not in err


def test_output_file_and_unknown_format(tmp_path: Path) -> None:
    path = str(CORPUS / "awscli" / "describe-image-attribute-public.json")
    output = tmp_path / "report.json"
    assert main(["lint", path, "--format", "json", "--output", str(output)]) == 1
    assert json.loads(output.read_text())["findings"][0]["rule_id"] == "image-public"
    assert main(["lint", path, "--format", "pdf"]) == 2


def test_scan_report_makes_a_public_image_critical(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scan = tmp_path / "scan.json"
    scan.write_text(
        json.dumps(
            {
                "target": "image.raw",
                "findings": [
                    {"rule_id": "deleted-private-key", "category": "deleted-data",
                     "severity": "high", "title": "private key in free space", "offset": 4096},
                    {"rule_id": "pending-update", "category": "patch", "severity": "high",
                     "title": "openssl 3.0.11 → 3.0.13 (security)", "path": "openssl"},
                ],
            }
        )
    )  # fmt: skip
    path = str(CORPUS / "awscli" / "describe-image-attribute-public.json")
    args = ["lint", path, "--scan-report", str(scan), "--format", "json"]
    assert main([*args, "--severity", "critical"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    by_rule = {f["rule_id"]: f for f in findings}
    assert by_rule["image-public"]["severity"] == "critical"
    assert by_rule["pending-security-updates"]["category"] == "patch"
    assert "openssl" in by_rule["pending-security-updates"]["evidence"]


def test_list_rules(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--list-rules"]) == 0
    out = capsys.readouterr().out
    assert "sg-ingress-ssh" in out and "CKV_AWS_24" in out


def test_no_files_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint"]) == 2


def test_sarif_and_html_reports_name_file_line_and_resource(
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = CORPUS / "imagewright" / "infrastructure-weak.yml"
    assert main(["lint", str(path), "--format", "sarif"]) == 1
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    assert len(run["results"]) == 4
    location = run["results"][0]["locations"][0]
    assert location["logicalLocations"] == [{"name": "debug-build"}]
    assert location["physicalLocation"]["region"]["startLine"] > 0
    assert main(["lint", str(path), "--format", "html"]) == 1
    html = capsys.readouterr().out
    assert "imds-v2-not-required" in html and "debug-build" in html


def test_problems_of_every_bad_file_are_reported_together(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a.yml", tmp_path / "b.json"
    first.write_text("name: x1y\ninstanceProfileName: p\nkeyPiar: k\n")
    second.write_text('{"Resources": {"G": {"Type": "AWS::EC2::SecurityGroup",\n"Properties": [}}}')
    assert main(["lint", str(first), str(second)]) == 2
    err = capsys.readouterr().err
    assert f"{first}:3:1: keyPiar: unknown field (did you mean 'keyPair'?)" in err
    assert f"{second}:2:" in err

"""The report formats: JSON shape, SARIF against the official schema, HTML in Chromium."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest

from imagewright.findings import Finding, Report, Severity, redact
from imagewright.reports import FORMATS, render

SCHEMA = Path(__file__).resolve().parents[2] / "data" / "sarif-schema-2.1.0.json"
SECRET = "ghp_" + "Zt5Yx4Wv3Ut2Sr1Qp0On9Ml8Kj7Ih6Gf5Ed4"


def sample_report() -> Report:
    return Report(
        target="image.raw",
        findings=[
            Finding(
                rule_id="github-pat",
                category="secret",
                severity=Severity.critical,
                title="GitHub personal access token",
                path="/home/dev/.bashrc",
                line=2,
                evidence=redact(SECRET),
                remediation="Revoke the token",
            ),
            Finding(
                rule_id="private-key",
                category="deleted-data",
                severity=Severity.high,
                title="Deleted data still on disk: Private key",
                offset=1_052_672,
                evidence=redact("-----BEGIN OPENSSH PRIVATE KEY-----"),
                remediation="Wipe free space",
            ),
            Finding(
                rule_id="sshd-permit-root-login",
                category="config",
                severity=Severity.high,
                title="sshd lets root log in with a password",
                path="/etc/ssh/sshd_config",
                line=33,
                evidence="PermitRootLogin yes",
                references={"cis-debian-12": "5.1.20"},
            ),
            Finding(
                rule_id="pending-updates",
                category="patch",
                severity=Severity.low,
                title="Package updates are not installed",
                path="/var/lib/dpkg/status",
                evidence="1 packages: <script>alert(1)</script>",
            ),
        ],
    )


def test_every_format_is_registered() -> None:
    assert {"table", "json", "sarif", "html"} <= set(FORMATS.names())


@pytest.mark.parametrize("name", ["table", "json", "sarif", "html"])
def test_no_secret_value_in_any_format(name: str) -> None:
    text = render(sample_report(), name)
    assert SECRET not in text and SECRET[:6] not in text
    assert "ghp_" in text  # the first 4 characters identify it


def test_json_document_shape() -> None:
    document = json.loads(render(sample_report(), "json"))
    assert set(document) == {"target", "summary", "findings"}
    assert document["summary"] == {"info": 0, "low": 1, "medium": 0, "high": 2, "critical": 1}
    first = document["findings"][0]
    for key in (
        "rule_id",
        "category",
        "severity",
        "title",
        "path",
        "line",
        "offset",
        "evidence",
        "remediation",
    ):
        assert key in first
    assert first["evidence"] == "ghp_… (40 chars)"


def test_sarif_validates_against_the_official_schema() -> None:
    document = json.loads(render(sample_report(), "sarif"))
    jsonschema.validate(document, json.loads(SCHEMA.read_text()))
    run = document["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == [
        "github-pat",
        "private-key",
        "sshd-permit-root-login",
        "pending-updates",
    ]
    raw = run["results"][1]["locations"][0]["physicalLocation"]
    assert raw["region"] == {"byteOffset": 1_052_672}
    assert raw["artifactLocation"]["uri"] == "image.raw"
    assert run["results"][0]["level"] == "error"
    assert run["results"][3]["level"] == "note"


def test_sarif_of_an_empty_report_validates() -> None:
    document = json.loads(render(Report(target="t"), "sarif"))
    jsonschema.validate(document, json.loads(SCHEMA.read_text()))


def _dom(page: Path, query: str, profile: Path) -> str:
    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed (scripts/setup.sh installs it)")
    result = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--dump-dom",
            f"file://{page}{query}",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout


def test_html_report_in_headless_chromium(tmp_path: Path) -> None:
    from html.parser import HTMLParser

    page = tmp_path / "report.html"
    page.write_text(render(sample_report(), "html"))
    assert "http://" not in page.read_text() and "https://" not in page.read_text()

    class Rows(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.rows: list[tuple[str, bool]] = []
            self.groups: list[tuple[str, bool]] = []
            self.shown = ""
            self._in_shown = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            values = dict(attrs)
            if tag == "tr" and values.get("class") == "finding":
                self.rows.append((values["data-rule"] or "", "hidden" in values))
            if tag == "section":
                self.groups.append((values["data-path"] or "", "hidden" in values))
            self._in_shown = values.get("id") == "shown"

        def handle_data(self, data: str) -> None:
            if self._in_shown:
                self.shown += data
                self._in_shown = False

    everything = Rows()
    everything.feed(_dom(page, "", tmp_path / "profile"))
    # grouped by path, the raw disk's findings first
    assert [rule for rule, hidden in everything.rows if not hidden] == [
        "private-key",
        "sshd-permit-root-login",
        "github-pat",
        "pending-updates",
    ]
    assert everything.shown == "4"
    assert "<script>alert(1)</script>" not in page.read_text()

    filtered = Rows()
    filtered.feed(_dom(page, "?severity=high&category=secret", tmp_path / "profile"))
    assert [rule for rule, hidden in filtered.rows if not hidden] == ["github-pat"]
    assert filtered.shown == "1"
    assert [path for path, hidden in filtered.groups if not hidden] == ["/home/dev/.bashrc"]

    searched = Rows()
    searched.feed(_dom(page, "?q=permitrootlogin", tmp_path / "profile"))
    assert [rule for rule, hidden in searched.rows if not hidden] == ["sshd-permit-root-login"]

"""The corpus: every configuration in tests/data/lint triggers exactly the rules expected.yml
names, with the file, line and resource of each finding."""

from __future__ import annotations

from pathlib import Path

import pytest
from ruamel.yaml import YAML

from imagewright.policy.engine import lint
from imagewright.policy.policyfile import load_policy
from imagewright.policy.rules import RULES

CORPUS = Path(__file__).parents[2] / "data" / "lint"
EXPECTED: dict[str, list[str]] = dict(YAML(typ="safe").load(CORPUS / "expected.yml"))
NEEDS_A_SCAN = {"pending-security-updates"}  # covered with a scan report in test_gate.py


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_file_triggers_exactly_its_rules(name: str) -> None:
    path = CORPUS / name
    report = lint([path], load_policy(CORPUS / "policy.yml"))
    assert sorted(f.rule_id for f in report.findings) == sorted(EXPECTED[name])
    for finding in report.findings:
        assert finding.path == str(path)
        assert finding.line is not None and finding.line > 0
        assert finding.resource
        assert finding.remediation


def test_corpus_covers_every_rule_in_every_input_form() -> None:
    triggered = {rule for rules in EXPECTED.values() for rule in rules}
    assert triggered | NEEDS_A_SCAN == set(RULES.names())
    forms = {name.split("/")[0] for name in EXPECTED}
    assert forms == {"awscli", "cloudformation", "imagewright"}
    assert len(EXPECTED) >= 30
    assert all(any(not EXPECTED[n] for n in EXPECTED if n.startswith(f)) for f in forms)


def test_corpus_files_all_listed() -> None:
    on_disk = {
        str(p.relative_to(CORPUS))
        for p in CORPUS.rglob("*")
        if p.suffix in (".yml", ".json") and p.parent.name != "components"
    } - {"expected.yml", "policy.yml"}
    assert on_disk == set(EXPECTED)


def test_finding_points_at_the_offending_line() -> None:
    path = CORPUS / "cloudformation" / "sg-ssh-open.yml"
    (finding,) = lint([path], load_policy(CORPUS / "policy.yml")).findings
    line = path.read_text().splitlines()[finding.line - 1]  # type: ignore[operator]
    assert "IpProtocol: tcp" in line
    assert finding.resource == "BuildSecurityGroup"
    assert "used by Infrastructure" in finding.title
    assert finding.references["checkov"] == "CKV_AWS_24"
    assert finding.references["security-hub"] == "EC2.13"


def test_every_rule_is_documented() -> None:
    docs = (Path(__file__).parents[3] / "docs" / "lint.md").read_text()
    for declared in RULES:
        assert f"| `{declared.name}` | {declared.severity.value} |" in docs
        assert declared.rationale and declared.remediation and declared.summary

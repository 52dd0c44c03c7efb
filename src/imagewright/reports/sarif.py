"""SARIF 2.1.0: one run, one reporting descriptor per rule that has results."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from imagewright import __version__
from imagewright.findings import Finding, Report, Severity
from imagewright.reports import report_format

SCHEMA = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
LEVELS = {
    Severity.critical: "error",
    Severity.high: "error",
    Severity.medium: "warning",
    Severity.low: "note",
    Severity.info: "note",
}
# GitHub code scanning reads this property (0.0-10.0) to rank security results.
SECURITY_SEVERITY = {
    Severity.critical: "9.5",
    Severity.high: "8.0",
    Severity.medium: "5.5",
    Severity.low: "3.0",
    Severity.info: "0.0",
}


def _rule(finding: Finding) -> dict[str, Any]:
    descriptor: dict[str, Any] = {
        "id": finding.rule_id,
        "shortDescription": {"text": finding.title},
        "defaultConfiguration": {"level": LEVELS[finding.severity]},
        "properties": {
            "category": finding.category,
            "security-severity": SECURITY_SEVERITY[finding.severity],
            "tags": ["security", finding.category],
            **{f"reference-{k}": v for k, v in finding.references.items()},
        },
    }
    if finding.remediation:
        descriptor["help"] = {"text": finding.remediation}
    return descriptor


def _location(finding: Finding, target: str) -> dict[str, Any]:
    region: dict[str, Any] = {}
    if finding.line is not None:
        region["startLine"] = finding.line
    if finding.offset is not None:
        region["byteOffset"] = finding.offset
    uri = finding.path.lstrip("/") if finding.path else target
    physical: dict[str, Any] = {"artifactLocation": {"uri": quote(uri)}}
    if finding.path and finding.path.startswith("/"):
        physical["artifactLocation"]["uriBaseId"] = "IMAGE_ROOT"
    if region:
        physical["region"] = region
    location: dict[str, Any] = {"physicalLocation": physical}
    if finding.resource:
        location["logicalLocations"] = [{"name": finding.resource}]
    return location


@report_format("sarif")
def render_sarif(report: Report) -> str:
    rules: dict[str, int] = {}
    descriptors: list[dict[str, Any]] = []
    results = []
    for finding in report.findings:
        if finding.rule_id not in rules:
            rules[finding.rule_id] = len(descriptors)
            descriptors.append(_rule(finding))
        message = finding.title + (f" ({finding.evidence})" if finding.evidence else "")
        results.append(
            {
                "ruleId": finding.rule_id,
                "ruleIndex": rules[finding.rule_id],
                "level": LEVELS[finding.severity],
                "message": {"text": message},
                "locations": [_location(finding, report.target)],
                "properties": {"severity": finding.severity.value, "category": finding.category},
            }
        )
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "imagewright", "version": __version__, "rules": descriptors}},
        "automationDetails": {"id": f"imagewright-{report.tool}/{quote(report.target)}"},
        "results": results,
    }
    if any(f.path and f.path.startswith("/") for f in report.findings):
        run["originalUriBaseIds"] = {
            "IMAGE_ROOT": {"uri": "file:///", "description": {"text": f"/ of {report.target}"}}
        }
    document = {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(document, indent=2) + "\n"

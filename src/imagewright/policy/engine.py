"""Runs every rule over the resource graph, applies the policy's suppressions, and decides."""

from __future__ import annotations

import datetime
import fnmatch
import logging
from collections.abc import Sequence
from pathlib import Path

from imagewright.findings import Finding, Report, Severity
from imagewright.policy import LintContext
from imagewright.policy.graph import Graph, arn_resource_name
from imagewright.policy.inputs import read_inputs
from imagewright.policy.policyfile import Policy
from imagewright.policy.rules import RULES

log = logging.getLogger(__name__)

SUPPRESSION_EXPIRED = "policy-suppression-expired"


def evaluate(
    graph: Graph,
    policy: Policy,
    scan: Report | None = None,
    *,
    target: str,
    today: datetime.date | None = None,
) -> Report:
    context = LintContext(graph, policy, scan)
    findings = [rule.finding(hit) for rule in RULES for hit in rule.check(context)]
    findings = apply_suppressions(findings, policy, today or datetime.date.today())
    findings.sort(key=lambda f: (-f.severity.rank, f.path or "", f.line or 0, f.rule_id))
    return Report(target=target, findings=findings, tool="lint")


def lint(
    paths: Sequence[Path],
    policy: Policy,
    scan: Report | None = None,
    *,
    today: datetime.date | None = None,
) -> Report:
    """Read every input file (bad input raises ConfigError) and run the rules over them."""
    graph = read_inputs(paths)
    return evaluate(graph, policy, scan, target=", ".join(str(p) for p in paths), today=today)


def gate(configs: Sequence[Path], scan_report: Report | None, policy: Policy) -> Report:
    """The distribution gate: lint the image's configurations together with its scan."""
    return lint(configs, policy, scan_report)


def blocking(report: Report, policy: Policy, threshold: Severity | None = None) -> list[Finding]:
    """Findings at or above the threshold (the policy's, unless one is given)."""
    return report.at_or_above(threshold or policy.severity_threshold)


def _same_resource(named: str, resource: str | None) -> bool:
    """A suppression may name a resource by its ARN or by the name inside it."""
    return resource is not None and named in (resource, arn_resource_name(resource))


def apply_suppressions(
    findings: list[Finding], policy: Policy, today: datetime.date
) -> list[Finding]:
    kept: list[Finding] = []
    expired_used: set[int] = set()
    for finding in findings:
        suppressed = False
        for index, suppression in enumerate(policy.suppressions):
            if suppression.rule != finding.rule_id:
                continue
            if suppression.resource is not None and not _same_resource(
                suppression.resource, finding.resource
            ):
                continue
            if suppression.file is not None and not fnmatch.fnmatch(
                finding.path or "", suppression.file
            ):
                continue
            if suppression.expires < today:
                expired_used.add(index)
                continue
            suppressed = True
            log.info(
                "suppressed %s on %s: %s", finding.rule_id, finding.resource, suppression.reason
            )
            break
        if not suppressed:
            kept.append(finding)
    for index in sorted(expired_used):
        suppression = policy.suppressions[index]
        log.warning(
            "suppression of %s expired on %s and no longer applies",
            suppression.rule,
            suppression.expires,
        )
        kept.append(
            Finding(
                rule_id=SUPPRESSION_EXPIRED,
                category="config",
                severity=Severity.low,
                title=f"suppression of {suppression.rule} expired on {suppression.expires} and no "
                f"longer applies (reason given: {suppression.reason})",
                path=policy.source,
                line=policy.suppression_line(index),
                remediation="Fix the finding, or renew the suppression with a new expiry date.",
                resource=suppression.resource,
            )
        )
    return kept

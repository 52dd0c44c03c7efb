"""Best-practice rules over image configurations: each rule is declared once, with `@rule`, in
a module of `policy.rules`, and registered in RULES."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from imagewright.findings import Category, Finding, Report, Severity
from imagewright.registry import Registry

if TYPE_CHECKING:
    from imagewright.policy.graph import Graph, Resource
    from imagewright.policy.policyfile import Policy


@dataclass(frozen=True, slots=True)
class LintContext:
    """What a rule looks at: the resources read from every input, the policy, the image's scan."""

    graph: Graph
    policy: Policy
    scan: Report | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    """One violation a rule found; the engine turns it into a Finding with the rule's metadata."""

    resource: Resource
    title: str
    line: int | None = None
    evidence: str | None = None
    severity: Severity | None = None  # when the rule's severity depends on the case


Check = Callable[[LintContext], Iterable[Hit]]


@dataclass(frozen=True, slots=True)
class Rule:
    name: str  # the rule ID
    severity: Severity
    summary: str
    rationale: str
    remediation: str
    check: Check
    category: Category = "config"
    equivalents: Mapping[str, str] = field(default_factory=dict)  # tool → its rule ID(s)

    def finding(self, hit: Hit) -> Finding:
        return Finding(
            rule_id=self.name,
            category=self.category,
            severity=hit.severity or self.severity,
            title=hit.title,
            path=hit.resource.source,
            line=hit.line if hit.line is not None else hit.resource.line,
            evidence=hit.evidence,
            remediation=self.remediation,
            resource=hit.resource.name,
            references=dict(self.equivalents),
        )


RULES: Registry[Rule] = Registry("lint rule")


def rule(
    name: str,
    severity: Severity,
    *,
    summary: str,
    rationale: str,
    remediation: str,
    category: Category = "config",
    equivalents: Mapping[str, str] | None = None,
) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RULES.add(
            Rule(
                name,
                severity,
                summary,
                rationale,
                remediation,
                check,
                category,
                dict(equivalents or {}),
            )
        )
        return check

    return register

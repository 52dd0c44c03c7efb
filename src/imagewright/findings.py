"""Findings shared by `scan` and `lint`, and the report that holds them."""

from __future__ import annotations

import enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class Severity(enum.StrEnum):
    info = "info"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)

    def at_least(self, other: Severity) -> bool:
        return self.rank >= other.rank


Category = Literal["secret", "deleted-data", "hygiene", "config", "patch"]


def redact(value: str) -> str:
    """Evidence that identifies a secret without revealing it: first 4 characters and length."""
    return f"{value[:4]}… ({len(value)} chars)"


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule_id: str
    category: Category
    severity: Severity
    title: str
    path: str | None = None  # a file inside the image, or the linted configuration file
    line: int | None = None
    offset: int | None = None  # byte offset on a raw disk image
    evidence: str | None = None  # always redacted
    remediation: str | None = None
    resource: str | None = None  # lint: the resource (logical ID or ARN) the finding is about
    references: dict[str, str] = Field(default_factory=dict)  # e.g. {"cis": "5.1.20"}


class Report(BaseModel):
    target: str
    findings: list[Finding] = Field(default_factory=list)
    tool: Literal["scan", "lint"] = "scan"

    def summary(self) -> dict[str, int]:
        counts = {severity.value: 0 for severity in Severity}
        for finding in self.findings:
            counts[finding.severity.value] += 1
        return counts

    def at_or_above(self, threshold: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity.at_least(threshold)]

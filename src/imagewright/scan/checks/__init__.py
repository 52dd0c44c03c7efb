"""Hygiene and configuration checks of an image: one module per check, each declared once with
`@check(id, severity=, cis=)`. A check reads the image through its `CheckContext` and yields a
`Hit` per problem; it never changes the image."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property

from imagewright.findings import Category, Finding, Severity
from imagewright.paths import Entry, ImageRoot
from imagewright.registry import Registry, load_all
from imagewright.scan.packages import PackageFiles

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Hit:
    path: str | None
    evidence: str | None = None  # never a secret value
    line: int | None = None


class CheckContext:
    """What checks may look at: the image root, its package database and one shared walk."""

    def __init__(
        self, root: ImageRoot, packages: PackageFiles, entries: list[Entry] | None = None
    ) -> None:
        self.root = root
        self.packages = packages
        self._entries = entries

    @property
    def entries(self) -> list[Entry]:
        if self._entries is None:
            self._entries = list(self.root.walk())
        return self._entries

    def _table(self, path: str) -> list[list[str]]:
        if not self.root.is_file(path):
            return []
        return [
            line.split(":")
            for line in self.root.read_text(path).splitlines()
            if line and not line.startswith("#")
        ]

    @cached_property
    def passwd(self) -> list[list[str]]:
        return self._table("/etc/passwd")

    @cached_property
    def shadow(self) -> list[list[str]]:
        return self._table("/etc/shadow")

    @cached_property
    def group(self) -> list[list[str]]:
        return self._table("/etc/group")

    def home_folders(self) -> list[str]:
        """Home folders of the image's accounts plus /root and every /home/*, deduplicated."""
        homes = {"/root"} | {str(p) for p in self.root.glob("/home/*")}
        homes |= {fields[5] for fields in self.passwd if len(fields) > 5 and fields[5] != "/"}
        return sorted(h for h in homes if self.root.is_dir(h))


CheckFunction = Callable[[CheckContext], Iterable[Hit]]


@dataclass(frozen=True, slots=True)
class HygieneCheck:
    name: str
    title: str
    severity: Severity
    remediation: str
    run: CheckFunction
    cis: str | None = None
    category: Category = "hygiene"

    def findings(self, context: CheckContext) -> list[Finding]:
        references = {"cis-debian-12": self.cis} if self.cis else {}
        return [
            Finding(
                rule_id=self.name,
                category=self.category,
                severity=self.severity,
                title=self.title,
                path=hit.path,
                line=hit.line,
                evidence=hit.evidence,
                remediation=self.remediation,
                references=references,
            )
            for hit in self.run(context)
        ]


CHECKS: Registry[HygieneCheck] = Registry("check")


def check(
    name: str,
    *,
    title: str,
    severity: Severity,
    remediation: str,
    cis: str | None = None,
    category: Category = "hygiene",
) -> Callable[[CheckFunction], CheckFunction]:
    def register(run: CheckFunction) -> CheckFunction:
        CHECKS.add(HygieneCheck(name, title, severity, remediation, run, cis, category))
        return run

    return register


def run_checks(context: CheckContext, names: Iterable[str] | None = None) -> list[Finding]:
    selected = [CHECKS.get(n) for n in names] if names is not None else list(CHECKS)
    findings: list[Finding] = []
    for spec in selected:
        found = spec.findings(context)
        log.debug("check %s: %d findings", spec.name, len(found))
        findings.extend(found)
    return findings


load_all(__name__)

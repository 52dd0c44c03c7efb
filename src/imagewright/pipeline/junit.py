"""Test results as JUnit XML (one test suite per component test phase, plus the boot test)."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class TestCase:
    __test__ = False  # a JUnit record, not a pytest class

    name: str
    seconds: float
    failure: str | None = None
    output: str = ""


@dataclass
class TestSuite:
    __test__ = False

    name: str
    cases: list[TestCase] = field(default_factory=list)

    @property
    def failures(self) -> int:
        return sum(1 for case in self.cases if case.failure is not None)


def write_junit(suites: list[TestSuite], path: Path) -> Path:
    root = ElementTree.Element(
        "testsuites",
        tests=str(sum(len(s.cases) for s in suites)),
        failures=str(sum(s.failures for s in suites)),
    )
    for suite in suites:
        element = ElementTree.SubElement(
            root,
            "testsuite",
            name=suite.name,
            tests=str(len(suite.cases)),
            failures=str(suite.failures),
            time=f"{sum(c.seconds for c in suite.cases):.3f}",
        )
        for case in suite.cases:
            test = ElementTree.SubElement(
                element,
                "testcase",
                classname=suite.name,
                name=case.name,
                time=f"{case.seconds:.3f}",
            )
            if case.failure is not None:
                failure = ElementTree.SubElement(test, "failure", message=case.failure[:500])
                failure.text = case.failure
            if case.output:
                ElementTree.SubElement(test, "system-out").text = case.output
    ElementTree.indent(root)
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path

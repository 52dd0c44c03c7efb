"""Renderers for reports of findings: one module per format, registered by name."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from imagewright.findings import Report
from imagewright.registry import Registry, load_all


@dataclass(frozen=True, slots=True)
class ReportFormat:
    name: str
    render: Callable[[Report], str]


FORMATS: Registry[ReportFormat] = Registry("report format")


def report_format(name: str) -> Callable[[Callable[[Report], str]], Callable[[Report], str]]:
    def register(render: Callable[[Report], str]) -> Callable[[Report], str]:
        FORMATS.add(ReportFormat(name, render))
        return render

    return register


def render(report: Report, format_name: str) -> str:
    return FORMATS.get(format_name).render(report)


load_all(__name__)

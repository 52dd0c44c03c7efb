from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from imagewright.findings import Report
from imagewright.reports import report_format


def _location(path: str | None, line: int | None, offset: int | None) -> str:
    text = path or ""
    if line is not None:
        text += f":{line}"
    if offset is not None:
        text += f" @ {offset:#x}"
    return text


@report_format("table")
def render_table(report: Report) -> str:
    table = Table(title=f"{report.tool}: {report.target}")
    for column in ("severity", "rule", "title", "where", "evidence"):
        table.add_column(column)
    for finding in sorted(report.findings, key=lambda f: -f.severity.rank):
        table.add_row(
            finding.severity.value,
            finding.rule_id,
            finding.title,
            _location(finding.path, finding.line, finding.offset)
            + (f" [{finding.resource}]" if finding.resource else ""),
            finding.evidence or "",
        )
    buffer = io.StringIO()
    Console(file=buffer, width=160, force_terminal=False).print(table)
    counts = ", ".join(f"{n} {s}" for s, n in report.summary().items() if n)
    return (
        buffer.getvalue()
        + f"{len(report.findings)} findings"
        + (f": {counts}" if counts else "")
        + "\n"
    )

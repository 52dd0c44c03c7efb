"""A self-contained HTML report: inline CSS and script, no external resources.

It shows the count per severity, the findings grouped by path, and filters by minimum severity,
category and free text. The filters can be preset with a query string
(`report.html?severity=high&category=secret&q=ssh`), which also makes them testable.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape

from imagewright.findings import Finding, Report, Severity
from imagewright.reports import report_format

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}h2{font-size:1.05em;margin:1.2em 0 .3em;font-family:monospace}
.summary{display:flex;gap:.6em;margin:1em 0}
.count{padding:.4em .8em;border-radius:4px;color:#fff;min-width:5em;text-align:center}
.critical{background:#7b1fa2}.high{background:#c62828}.medium{background:#ef6c00}
.low{background:#1565c0}.info{background:#546e7a}
table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
.sev{color:#fff;border-radius:3px;padding:0 .4em;font-size:.85em}
.filters{display:flex;gap:1em;align-items:center;background:#f5f5f5;padding:.6em;border-radius:4px}
code{font-size:.9em}
[hidden]{display:none!important}
"""

SCRIPT = """
const ORDER = ["info", "low", "medium", "high", "critical"];
function applyFilters() {
  const minimum = ORDER.indexOf(document.getElementById("severity").value);
  const category = document.getElementById("category").value;
  const text = document.getElementById("q").value.toLowerCase();
  let shown = 0;
  document.querySelectorAll("tr.finding").forEach(row => {
    const visible = ORDER.indexOf(row.dataset.severity) >= minimum
      && (category === "" || row.dataset.category === category)
      && (text === "" || row.textContent.toLowerCase().includes(text));
    row.hidden = !visible;
    if (visible) shown++;
  });
  document.querySelectorAll("section.group").forEach(group => {
    group.hidden = group.querySelector("tr.finding:not([hidden])") === null;
  });
  document.getElementById("shown").textContent = String(shown);
}
window.addEventListener("DOMContentLoaded", () => {
  const params = new URLSearchParams(window.location.search);
  for (const name of ["severity", "category", "q"]) {
    if (params.has(name)) document.getElementById(name).value = params.get(name);
    document.getElementById(name).addEventListener("input", applyFilters);
  }
  applyFilters();
});
"""


def _row(finding: Finding) -> str:
    where = []
    if finding.line is not None:
        where.append(f"line {finding.line}")
    if finding.offset is not None:
        where.append(f"offset {finding.offset} ({finding.offset:#x})")
    if finding.resource:
        where.append(escape(finding.resource))
    references = ", ".join(f"{escape(k)} {escape(v)}" for k, v in finding.references.items())
    return (
        f'<tr class="finding" data-severity="{finding.severity.value}" '
        f'data-category="{escape(finding.category)}" data-rule="{escape(finding.rule_id)}">'
        f'<td><span class="sev {finding.severity.value}">{finding.severity.value}</span></td>'
        f"<td><code>{escape(finding.rule_id)}</code><br>{escape(finding.category)}</td>"
        f"<td>{escape(finding.title)}"
        + (f"<br><small>{references}</small>" if references else "")
        + f"</td><td>{'<br>'.join(where)}</td>"
        f"<td><code>{escape(finding.evidence or '')}</code></td>"
        f"<td>{escape(finding.remediation or '')}</td></tr>"
    )


def _group(path: str, findings: list[Finding]) -> str:
    rows = "".join(_row(f) for f in sorted(findings, key=lambda f: -f.severity.rank))
    return (
        f'<section class="group" data-path="{escape(path)}"><h2>{escape(path)}</h2><table>'
        "<tr><th>severity</th><th>rule</th><th>finding</th><th>where</th><th>evidence</th>"
        f"<th>remediation</th></tr>{rows}</table></section>"
    )


@report_format("html")
def render_html(report: Report) -> str:
    groups: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        groups[finding.path or "(raw disk)"].append(finding)
    summary = "".join(
        f'<div class="count {s}" data-severity="{s}"><b>{n}</b><br>{s}</div>'
        for s, n in reversed(report.summary().items())
    )
    categories = sorted({f.category for f in report.findings})
    category_options = "".join(f'<option value="{c}">{c}</option>' for c in categories)
    severity_options = "".join(f'<option value="{s.value}">{s.value}+</option>' for s in Severity)
    body = "".join(_group(path, groups[path]) for path in sorted(groups)) or "<p>No findings.</p>"
    title = f"imagewright {report.tool}: {report.target}"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{STYLE}</style></head>
<body><h1>{escape(title)}</h1>
<div class="summary" id="summary">{summary}</div>
<div class="filters">
<label>severity <select id="severity">{severity_options}</select></label>
<label>category <select id="category"><option value="">all</option>{category_options}</select>
</label>
<label>search <input id="q" type="search"></label>
<span><b id="shown">{len(report.findings)}</b> of {len(report.findings)} shown</span>
</div>
<main id="findings">{body}</main>
<script>{SCRIPT}</script>
</body></html>
"""

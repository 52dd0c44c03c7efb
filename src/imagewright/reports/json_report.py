from __future__ import annotations

import json

from imagewright.findings import Report
from imagewright.reports import report_format


@report_format("json")
def render_json(report: Report) -> str:
    document = {
        "target": report.target,
        "summary": report.summary(),
        "findings": [f.model_dump(mode="json") for f in report.findings],
    }
    return json.dumps(document, indent=2) + "\n"

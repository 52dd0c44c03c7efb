from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from imagewright.findings import Severity
from imagewright.scan.checks import CheckContext, Hit, check


@check(
    "toe-logs",
    title="Component runner (AWSTOE) logs left in the image",
    severity=Severity.medium,
    remediation="Delete the TOE_* folders from the working directory before the image is taken; "
    "their logs hold every command and its output",
)
def toe_logs(context: CheckContext) -> Iterator[Hit]:
    for entry in context.entries:
        if entry.is_dir and fnmatch.fnmatchcase(entry.path_str.rsplit("/", 1)[-1], "TOE_*_*"):
            yield Hit(entry.path_str)

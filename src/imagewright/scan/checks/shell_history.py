from __future__ import annotations

import fnmatch
from collections.abc import Iterator

from imagewright.findings import Severity
from imagewright.scan.checks import CheckContext, Hit, check

HISTORY_NAMES = ("*_history", ".history", ".python_history", ".lesshst", ".viminfo")


@check(
    "shell-history",
    title="Shell or tool history left in the image",
    severity=Severity.medium,
    remediation="Delete the history files of every account before the image is taken",
)
def shell_history(context: CheckContext) -> Iterator[Hit]:
    for home in context.home_folders():
        for name in context.root.listdir(home):
            path = f"{home}/{name}"
            if not any(fnmatch.fnmatchcase(name, p) for p in HISTORY_NAMES):
                continue
            info = context.root.lstat(path)
            if info is not None and context.root.is_file(path) and info.st_size > 0:
                lines = context.root.read_bytes(path).count(b"\n")
                yield Hit(path, evidence=f"{lines} lines")

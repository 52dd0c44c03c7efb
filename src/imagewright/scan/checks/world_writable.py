from __future__ import annotations

import stat
from collections.abc import Iterator

from imagewright.findings import Severity
from imagewright.scan.checks import CheckContext, Hit, check


@check(
    "world-writable",
    title="World-writable file or folder outside a sticky folder",
    severity=Severity.medium,
    cis="7.1.11",
    remediation="Remove write permission for others (`chmod o-w PATH`), or set the sticky bit on "
    "a shared folder (`chmod +t PATH`)",
)
def world_writable(context: CheckContext) -> Iterator[Hit]:
    sticky_folders = {
        e.path_str
        for e in context.entries
        if e.is_dir and e.stat.st_mode & stat.S_ISVTX and e.stat.st_mode & stat.S_IWOTH
    }
    for entry in context.entries:
        mode = entry.stat.st_mode
        # device nodes (/dev/null…) and links are meant to be world-writable
        if not (entry.is_file or entry.is_dir) or not mode & stat.S_IWOTH:
            continue
        if entry.is_dir:
            if not mode & stat.S_ISVTX:
                yield Hit(entry.path_str, evidence=f"folder mode {stat.S_IMODE(mode):04o}")
            continue
        parent = entry.path_str.rsplit("/", 1)[0] or "/"
        if parent not in sticky_folders:
            yield Hit(entry.path_str, evidence=f"mode {stat.S_IMODE(mode):04o}")

from __future__ import annotations

import stat
from collections.abc import Iterator

from imagewright.findings import Severity
from imagewright.scan.checks import CheckContext, Hit, check


@check(
    "suid-sgid-unpackaged",
    title="SUID/SGID file that no package installed (or that was changed since)",
    severity=Severity.high,
    cis="7.1.13",
    remediation="Remove the file or its set-ID bits (`chmod ug-s PATH`) unless it is needed and "
    "reviewed; install privileged programs from packages",
)
def suid_sgid_unpackaged(context: CheckContext) -> Iterator[Hit]:
    for entry in context.entries:
        mode = entry.stat.st_mode
        setid = entry.is_file and mode & (stat.S_ISUID | stat.S_ISGID)
        if setid and not context.packages.unchanged(entry.path_str):
            kind = "SUID" if mode & stat.S_ISUID else "SGID"
            yield Hit(entry.path_str, evidence=f"{kind} mode {stat.S_IMODE(mode):04o}")

from __future__ import annotations

from collections.abc import Iterator

from imagewright.findings import Severity
from imagewright.scan.checks import CheckContext, Hit, check


@check(
    "empty-password",
    title="Account with an empty password (logs in without one)",
    severity=Severity.critical,
    cis="7.2.2",
    category="config",
    remediation="Lock the account (`passwd -l NAME`) or give it a password hash",
)
def empty_password(context: CheckContext) -> Iterator[Hit]:
    for number, fields in enumerate(context.shadow, start=1):
        if len(fields) > 1 and fields[1] == "":
            yield Hit("/etc/shadow", evidence=f"account {fields[0]}", line=number)
    for number, fields in enumerate(context.passwd, start=1):
        if len(fields) > 1 and fields[1] == "":
            yield Hit("/etc/passwd", evidence=f"account {fields[0]}", line=number)

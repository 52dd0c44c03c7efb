from __future__ import annotations

from collections.abc import Iterator

from imagewright.findings import Severity
from imagewright.scan.checks import CheckContext, Hit, check


@check(
    "root-password-set",
    title="root has a password (every instance shares it)",
    severity=Severity.high,
    category="config",
    remediation="Lock root's password (`passwd -l root`, or `*` in /etc/shadow); reach root "
    "through sudo from a per-instance account",
)
def root_password_set(context: CheckContext) -> Iterator[Hit]:
    for number, fields in enumerate(context.shadow, start=1):
        if fields[0] == "root" and len(fields) > 1 and fields[1][:1] not in ("", "*", "!"):
            yield Hit("/etc/shadow", evidence="account root", line=number)

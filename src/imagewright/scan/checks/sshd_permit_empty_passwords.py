from __future__ import annotations

from collections.abc import Iterator

from imagewright.findings import Severity
from imagewright.scan.checks import CheckContext, Hit, check
from imagewright.scan.sshd_config import sshd_settings


@check(
    "sshd-permit-empty-passwords",
    title="sshd lets accounts with empty passwords log in (PermitEmptyPasswords yes)",
    severity=Severity.high,
    cis="5.1.19",
    category="config",
    remediation="Set `PermitEmptyPasswords no` in /etc/ssh/sshd_config",
)
def sshd_permit_empty_passwords(context: CheckContext) -> Iterator[Hit]:
    settings = sshd_settings(context.root)
    if settings is not None and settings["permitemptypasswords"].value == "yes":
        setting = settings["permitemptypasswords"]
        yield Hit(setting.path, evidence="PermitEmptyPasswords yes", line=setting.line)

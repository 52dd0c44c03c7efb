from __future__ import annotations

from collections.abc import Iterator

from imagewright.findings import Severity
from imagewright.scan.checks import CheckContext, Hit, check
from imagewright.scan.sshd_config import sshd_settings


@check(
    "sshd-permit-root-login",
    title="sshd lets root log in with a password (PermitRootLogin yes)",
    severity=Severity.high,
    cis="5.1.20",
    category="config",
    remediation="Set `PermitRootLogin no` in /etc/ssh/sshd_config (or a file in sshd_config.d)",
)
def sshd_permit_root_login(context: CheckContext) -> Iterator[Hit]:
    settings = sshd_settings(context.root)
    if settings is not None and settings["permitrootlogin"].value == "yes":
        setting = settings["permitrootlogin"]
        yield Hit(setting.path, evidence="PermitRootLogin yes", line=setting.line)

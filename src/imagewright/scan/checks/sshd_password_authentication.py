from __future__ import annotations

from collections.abc import Iterator

from imagewright.findings import Severity
from imagewright.scan.checks import CheckContext, Hit, check
from imagewright.scan.sshd_config import SSHD_CONFIG, sshd_settings


@check(
    "sshd-password-authentication",
    title="sshd accepts passwords (PasswordAuthentication yes, OpenSSH's default)",
    severity=Severity.medium,
    category="config",
    remediation="Set `PasswordAuthentication no` in /etc/ssh/sshd_config (or sshd_config.d) and "
    "log in with keys",
)
def sshd_password_authentication(context: CheckContext) -> Iterator[Hit]:
    settings = sshd_settings(context.root)
    if settings is not None and settings["passwordauthentication"].value == "yes":
        setting = settings["passwordauthentication"]
        source = "" if setting.path else " (default)"
        yield Hit(
            setting.path or SSHD_CONFIG,
            evidence=f"PasswordAuthentication yes{source}",
            line=setting.line,
        )

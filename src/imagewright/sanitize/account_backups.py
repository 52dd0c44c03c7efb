from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = (
    "/var/backups/passwd.bak",
    "/var/backups/group.bak",
    "/var/backups/shadow.bak",
    "/var/backups/gshadow.bak",
    "/var/backups/passwd.*.gz",
    "/var/backups/group.*.gz",
    "/var/backups/shadow.*.gz",
    "/var/backups/gshadow.*.gz",
    "/etc/security/opasswd",
)


@operation(
    "account-backups",
    profiles=EXTENDED,
    removes="/var/backups/{passwd,group,shadow,gshadow}.bak and their rotated .gz copies, "
    "/etc/security/opasswd",
    verified_by=none_left(*PATTERNS),
)
def account_backups(ctx: SanitizeContext) -> None:
    """Remove old copies of the account files and old password hashes."""
    ctx.delete(*PATTERNS)

from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = (
    "/etc/group-",
    "/etc/gshadow-",
    "/etc/passwd-",
    "/etc/shadow-",
    "/etc/subuid-",
    "/etc/subgid-",
)


@operation(
    "passwd-backups",
    profiles=EXTENDED,
    removes="/etc/passwd-, /etc/shadow-, /etc/group-, /etc/gshadow-, /etc/subuid-, /etc/subgid-",
    verified_by=none_left(*PATTERNS),
)
def passwd_backups(ctx: SanitizeContext) -> None:
    """Remove shadow-utils' backup copies of the account files."""
    ctx.delete(*PATTERNS)

from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = (
    "/var/log/samba/*",
    "/var/lib/samba/*",
)


@operation(
    "samba-db-log",
    profiles=EXTENDED,
    removes="/var/log/samba/*, /var/lib/samba/*",
    verified_by=none_left(*PATTERNS),
)
def samba_db_log(ctx: SanitizeContext) -> None:
    """Remove Samba's logs and databases, its secrets included."""
    ctx.delete(*PATTERNS)

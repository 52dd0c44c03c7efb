from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = (
    "/var/log/sssd/*",
    "/var/lib/sss/db/*",
)


@operation(
    "sssd-db-log",
    profiles=EXTENDED,
    removes="/var/log/sssd/*, /var/lib/sss/db/*",
    verified_by=none_left(*PATTERNS),
)
def sssd_db_log(ctx: SanitizeContext) -> None:
    """Remove SSSD's cache and logs."""
    ctx.delete(*PATTERNS)

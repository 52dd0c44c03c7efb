from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = (
    "/var/spool/mail/*",
    "/var/mail/*",
)


@operation(
    "mail-spool",
    profiles=EXTENDED,
    removes="/var/spool/mail/* and /var/mail/*",
    verified_by=none_left(*PATTERNS),
)
def mail_spool(ctx: SanitizeContext) -> None:
    """Remove local mail."""
    ctx.delete(*PATTERNS)

from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = ("/var/lib/dovecot/*",)


@operation(
    "dovecot-data",
    profiles=EXTENDED,
    removes="/var/lib/dovecot/*",
    verified_by=none_left(*PATTERNS),
)
def dovecot_data(ctx: SanitizeContext) -> None:
    """Remove Dovecot's state."""
    ctx.delete(*PATTERNS)

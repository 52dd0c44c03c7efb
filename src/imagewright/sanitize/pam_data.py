from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = (
    "/var/run/console/*",
    "/var/run/faillock/*",
    "/var/run/sepermit/*",
)


@operation(
    "pam-data",
    profiles=EXTENDED,
    removes="/var/run/console/*, /var/run/faillock/*, /var/run/sepermit/*",
    verified_by=none_left(*PATTERNS),
)
def pam_data(ctx: SanitizeContext) -> None:
    """Remove PAM runtime state."""
    ctx.delete(*PATTERNS)

from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = (
    "/var/lib/systemd/credential.secret",
    "/etc/machine-info",
)


@operation(
    "systemd-identity",
    profiles=EXTENDED,
    removes="/var/lib/systemd/credential.secret, /etc/machine-info",
    verified_by=none_left(*PATTERNS),
)
def systemd_identity(ctx: SanitizeContext) -> None:
    """Remove systemd's credential key and the host description."""
    ctx.delete(*PATTERNS)

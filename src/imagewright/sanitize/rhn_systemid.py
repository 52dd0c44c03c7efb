from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = (
    "/etc/sysconfig/rhn/systemid",
    "/etc/sysconfig/rhn/osad-auth.conf",
)


@operation(
    "rhn-systemid",
    profiles=EXTENDED,
    removes="/etc/sysconfig/rhn/systemid, /etc/sysconfig/rhn/osad-auth.conf",
    verified_by=none_left(*PATTERNS),
)
def rhn_systemid(ctx: SanitizeContext) -> None:
    """Remove the RHN registration."""
    ctx.delete(*PATTERNS)

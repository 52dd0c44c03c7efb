from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = ("/etc/krb5.keytab",)


@operation(
    "kerberos-hostkeytab",
    profiles=EXTENDED,
    removes="/etc/krb5.keytab",
    verified_by=none_left(*PATTERNS),
)
def kerberos_hostkeytab(ctx: SanitizeContext) -> None:
    """Remove the Kerberos host keytab."""
    ctx.delete(*PATTERNS)

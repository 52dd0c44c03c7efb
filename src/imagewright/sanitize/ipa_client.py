from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = (
    "/etc/ipa/ca.crt",
    "/etc/ipa/default.conf",
    "/var/lib/ipa-client/sysrestore/*",
    "/var/lib/ipa-client/pki/*",
    "/etc/pki/ca-trust/source/anchors/ipa-ca.crt",
    "/usr/local/share/ca-certificates/ipa-ca.crt",
    "/etc/pki/ca-trust/source/ipa.p11-kit",
)


@operation(
    "ipa-client",
    profiles=EXTENDED,
    removes="FreeIPA client configuration, CA and sysrestore data",
    verified_by=none_left(*PATTERNS),
)
def ipa_client(ctx: SanitizeContext) -> None:
    """Remove FreeIPA enrolment files."""
    ctx.delete(*PATTERNS)

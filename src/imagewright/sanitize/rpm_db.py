from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = ("/var/lib/rpm/__db.*",)


@operation(
    "rpm-db",
    profiles=EXTENDED,
    removes="/var/lib/rpm/__db.*",
    verified_by=none_left(*PATTERNS),
)
def rpm_db(ctx: SanitizeContext) -> None:
    """Remove the host-specific Berkeley DB environment files of the RPM database."""
    ctx.delete(*PATTERNS)

from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = (
    "/var/log/puppet/*",
    "/var/lib/puppet/*/*",
)


@operation(
    "puppet-data-log",
    profiles=EXTENDED,
    removes="/var/log/puppet/*, /var/lib/puppet/*/*",
    verified_by=none_left(*PATTERNS),
)
def puppet_data_log(ctx: SanitizeContext) -> None:
    """Remove Puppet's logs and state, its SSL keys included."""
    ctx.delete(*PATTERNS)

from __future__ import annotations

from imagewright.sanitize import SEED, SanitizeContext, none_left, operation

PATTERN = "/var/log/sa/sa*"


@operation(
    "sysstat-logs",
    profiles=SEED,
    removes="system activity reports /var/log/sa/sa*",
    verified_by=none_left(PATTERN),
    order=70,
)
def sysstat_logs(ctx: SanitizeContext) -> None:
    """Remove sysstat's system activity reports."""
    ctx.delete(PATTERN)

from __future__ import annotations

from imagewright.sanitize import SEED, SanitizeContext, none_left, operation

FILE = "/var/lib/rsyslog/imjournal.state"


@operation(
    "imjournal-state",
    profiles=SEED,
    removes="rsyslog's journal cursor /var/lib/rsyslog/imjournal.state",
    verified_by=none_left(FILE),
    order=100,
)
def imjournal_state(ctx: SanitizeContext) -> None:
    """Remove rsyslog's position in the build instance's journal."""
    ctx.delete(FILE)

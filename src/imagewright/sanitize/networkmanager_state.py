from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = ("/var/lib/NetworkManager/*",)


@operation(
    "networkmanager-state",
    profiles=EXTENDED,
    removes="/var/lib/NetworkManager/*",
    verified_by=none_left(*PATTERNS),
)
def networkmanager_state(ctx: SanitizeContext) -> None:
    """Remove NetworkManager's leases and runtime state."""
    ctx.delete(*PATTERNS)

from __future__ import annotations

from imagewright.sanitize import SEED, SanitizeContext, nothing_inside, operation


@operation(
    "journal-logs",
    profiles=SEED,
    removes="everything inside /var/log/journal (the folder stays)",
    verified_by=nothing_inside("/var/log/journal"),
    order=110,
)
def journal_logs(ctx: SanitizeContext) -> None:
    """Remove the systemd journal of the build instance."""
    ctx.empty("/var/log/journal")

from __future__ import annotations

from imagewright.sanitize import SEED, SanitizeContext, nothing_inside, operation


@operation(
    "var-tmp",
    profiles=SEED,
    removes="everything inside /var/tmp, dotfiles included (the folder stays)",
    verified_by=nothing_inside("/var/tmp"),
    order=90,
)
def var_tmp(ctx: SanitizeContext) -> None:
    """Remove temporary files that survive reboots."""
    ctx.empty("/var/tmp")

from __future__ import annotations

from imagewright.sanitize import SEED, SanitizeContext, none_left, operation

PATTERN = "{wd}/TOE_*"


@operation(
    "toe-files",
    profiles=SEED,
    removes="the component runner's log folders {{workingDirectory}}/TOE_*",
    verified_by=none_left(PATTERN),
    skip_marker="skip_cleanup_toe_files",
    order=50,
)
def toe_files(ctx: SanitizeContext) -> None:
    """Remove the logs of the components that built the image."""
    ctx.delete(PATTERN)

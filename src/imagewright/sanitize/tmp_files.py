from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, nothing_inside, operation


@operation(
    "tmp-files",
    profiles=EXTENDED,
    removes="everything inside /tmp and /var/tmp, dotfiles included (the folders stay)",
    verified_by=nothing_inside("/tmp", "/var/tmp"),
    order=130,  # after the seed's sections, which read their skip markers from /tmp
)
def tmp_files(ctx: SanitizeContext) -> None:
    """Remove temporary files."""
    ctx.empty("/tmp", "/var/tmp")

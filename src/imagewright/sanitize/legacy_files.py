from __future__ import annotations

from imagewright.sanitize import SEED, SanitizeContext, none_left, operation

FILES = ("/home/ec2-user/.bash_history", "/.autorelabel")


@operation(
    "legacy-files",
    profiles=SEED,
    removes="ec2-user's bash history and /.autorelabel (the published script's flat list)",
    verified_by=none_left(*FILES),
    order=45,
)
def legacy_files(ctx: SanitizeContext) -> None:
    """Remove the files only the first published clean-up script listed."""
    ctx.delete(*FILES)

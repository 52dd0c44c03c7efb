from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, home_files, operation

NAMES = (".bash_history",)


@operation(
    "bash-history",
    profiles=EXTENDED,
    removes="every user's bash history (homes from /etc/passwd, /root and /home/*)",
    verified_by=home_files.none_in_homes(*NAMES),
)
def bash_history(ctx: SanitizeContext) -> None:
    """Remove every user's bash history."""
    home_files.remove_in_homes(ctx, NAMES)

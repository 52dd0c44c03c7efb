from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, home_files, operation

NAMES = (".zsh_history",)


@operation(
    "zsh-history",
    profiles=EXTENDED,
    removes="every user's zsh history (homes from /etc/passwd, /root and /home/*)",
    verified_by=home_files.none_in_homes(*NAMES),
)
def zsh_history(ctx: SanitizeContext) -> None:
    """Remove every user's zsh history."""
    home_files.remove_in_homes(ctx, NAMES)

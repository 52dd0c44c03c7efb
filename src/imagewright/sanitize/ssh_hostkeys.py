from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, none_left, operation

PATTERNS = ("/etc/ssh/*_host_*",)


@operation(
    "ssh-hostkeys",
    profiles=EXTENDED,
    removes="/etc/ssh/*_host_*",
    verified_by=none_left(*PATTERNS),
    skip_marker="skip_cleanup_ssh_files",
)
def ssh_hostkeys(ctx: SanitizeContext) -> None:
    """Remove every SSH host key, whatever its type."""
    ctx.delete(*PATTERNS)

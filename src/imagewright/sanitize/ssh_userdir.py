from __future__ import annotations

from imagewright.sanitize import EXTENDED, SanitizeContext, home_files, operation

NAMES = (".ssh",)


@operation(
    "ssh-userdir",
    profiles=EXTENDED,
    removes="every user's SSH folder: authorized_keys, known_hosts, private keys, config "
    "(homes from /etc/passwd, /root and /home/*)",
    verified_by=home_files.none_in_homes(*NAMES),
    skip_marker="skip_cleanup_ssh_files",
)
def ssh_userdir(ctx: SanitizeContext) -> None:
    """Remove every user's SSH folder: keys, known hosts and client settings."""
    home_files.remove_in_homes(ctx, NAMES)

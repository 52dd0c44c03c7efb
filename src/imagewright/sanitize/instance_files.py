from __future__ import annotations

from imagewright.sanitize import SEED, SanitizeContext, none_left, operation

FILES = (
    "/etc/.updated",
    "/etc/aliases.db",
    "/etc/hostname",
    "/var/lib/misc/postfix.aliasesdb-stamp",
    "/var/lib/postfix/master.lock",
    "/var/spool/postfix/pid/master.pid",
    "/var/.updated",
    "/var/cache/yum/x86_64/2/.gpgkeyschecked.yum",
)


@operation(
    "instance-files",
    profiles=SEED,
    removes="update stamps, aliases.db, /etc/hostname, Postfix stamps, lock and pid, the yum "
    "GPG check stamp",
    verified_by=none_left(*FILES),
    skip_marker="skip_cleanup_instance_files",
    order=20,
)
def instance_files(ctx: SanitizeContext) -> None:
    """Remove files that belong to the build instance rather than to the image."""
    ctx.delete(*FILES)

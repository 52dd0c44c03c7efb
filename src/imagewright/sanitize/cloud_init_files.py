from __future__ import annotations

from imagewright.sanitize import SEED, SanitizeContext, all_of, none_left, nothing_inside, operation

FILES = (
    "/etc/sudoers.d/90-cloud-init-users",
    "/etc/locale.conf",
    "/var/log/cloud-init.log",
    "/var/log/cloud-init-output.log",
)


@operation(
    "cloud-init-files",
    profiles=SEED,
    removes="cloud-init's sudoers rule, /etc/locale.conf, its two logs and everything inside "
    "/var/lib/cloud (the folder stays)",
    verified_by=all_of(none_left(*FILES), nothing_inside("/var/lib/cloud")),
    skip_marker="skip_cleanup_cloudinit_files",
    order=10,
)
def cloud_init_files(ctx: SanitizeContext) -> None:
    """Remove cloud-init's per-instance state, its sudoers rule and its logs."""
    ctx.delete(*FILES)
    ctx.empty("/var/lib/cloud")

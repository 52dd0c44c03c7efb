from __future__ import annotations

from imagewright.sanitize import SEED, SanitizeContext, none_left, operation

FILES = ("/var/log/audit/audit.log", "/var/log/boot.log", "/var/log/dmesg", "/var/log/cron")


@operation(
    "instance-log-files",
    profiles=SEED,
    removes="the audit log, boot log, kernel message log and cron log",
    verified_by=none_left(*FILES),
    skip_marker="skip_cleanup_instance_log_files",
    order=40,
)
def instance_log_files(ctx: SanitizeContext) -> None:
    """Remove the build instance's audit, boot, kernel and cron logs."""
    ctx.delete(*FILES)

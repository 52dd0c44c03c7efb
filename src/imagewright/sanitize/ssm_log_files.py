from __future__ import annotations

from imagewright.sanitize import SEED, SanitizeContext, none_left, operation

FOLDER = "/var/log/amazon/ssm"


@operation(
    "ssm-log-files",
    profiles=SEED,
    removes="the SSM agent's log folder /var/log/amazon/ssm",
    verified_by=none_left(FOLDER),
    skip_marker="skip_cleanup_ssm_log_files",
    order=60,
)
def ssm_log_files(ctx: SanitizeContext) -> None:
    """Remove the Systems Manager agent's logs."""
    ctx.ops.announce(f"{FOLDER}/*")
    ctx.ops.remove(FOLDER)

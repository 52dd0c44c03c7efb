from __future__ import annotations

from imagewright.sanitize import (
    EXTENDED,
    SanitizeContext,
    all_of,
    none_left,
    nothing_inside,
    operation,
)

LOGS = ("/var/log/cloud-init.log*", "/var/log/cloud-init-output.log*")


@operation(
    "cloud-init-clean",
    profiles=EXTENDED,
    removes="'cloud-init clean --logs --seed --machine-id': all of /var/lib/cloud (seed "
    "included), cloud-init's logs and rotated logs; the machine ID is the machine-id operation's",
    verified_by=all_of(nothing_inside("/var/lib/cloud"), none_left(*LOGS)),
    skip_marker="skip_cleanup_cloudinit_files",
    order=15,
)
def cloud_init_clean(ctx: SanitizeContext) -> None:
    """Return cloud-init to a never-booted state, so every instance runs it afresh."""
    ctx.empty("/var/lib/cloud")
    ctx.delete(*LOGS)

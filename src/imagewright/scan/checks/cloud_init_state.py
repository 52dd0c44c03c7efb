from __future__ import annotations

from collections.abc import Iterator

from imagewright.findings import Severity
from imagewright.scan.checks import CheckContext, Hit, check

STATE_PATHS = ("/var/lib/cloud/instance", "/var/lib/cloud/instances", "/var/lib/cloud/data")
LOGS = ("/var/log/cloud-init.log", "/var/log/cloud-init-output.log")


@check(
    "cloud-init-state",
    title="cloud-init instance state or logs left in the image",
    severity=Severity.medium,
    remediation="Run `cloud-init clean --logs` (or delete /var/lib/cloud/* and the cloud-init "
    "logs) before the image is taken, so each instance runs cloud-init afresh",
)
def cloud_init_state(context: CheckContext) -> Iterator[Hit]:
    for path in STATE_PATHS:
        if context.root.exists(path) and (
            not context.root.is_dir(path) or context.root.listdir(path)
        ):
            yield Hit(path)
    for path in LOGS:
        info = context.root.lstat(path)
        if info is not None and info.st_size > 0:
            yield Hit(path)

from __future__ import annotations

from collections.abc import Iterator

from imagewright.findings import Severity
from imagewright.scan.checks import CheckContext, Hit, check


@check(
    "ssh-host-keys",
    title="SSH host keys are in the image (every instance would share them)",
    severity=Severity.high,
    remediation="Delete /etc/ssh/ssh_host_*_key* before the image is taken; sshd generates new "
    "keys on each instance's first boot",
)
def ssh_host_keys(context: CheckContext) -> Iterator[Hit]:
    for path in context.root.glob("/etc/ssh/ssh_host_*_key"):
        if context.root.is_file(path):
            yield Hit(str(path))

from __future__ import annotations

from collections.abc import Iterator

from imagewright.findings import Severity
from imagewright.scan.checks import CheckContext, Hit, check


@check(
    "authorized-keys",
    title="authorized_keys left in the image (a key that opens every instance)",
    severity=Severity.high,
    remediation="Delete the authorized_keys files before the image is taken; give access per "
    "instance through an EC2 key pair, cloud-init or Systems Manager",
)
def authorized_keys(context: CheckContext) -> Iterator[Hit]:
    for home in context.home_folders():
        for name in ("authorized_keys", "authorized_keys2"):
            path = f"{home}/.ssh/{name}"
            info = context.root.lstat(path)
            if info is not None and context.root.is_file(path) and info.st_size > 0:
                keys = sum(
                    1
                    for line in context.root.read_text(path).splitlines()
                    if line.strip() and not line.startswith("#")
                )
                yield Hit(path, evidence=f"{keys} keys")

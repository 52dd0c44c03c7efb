from __future__ import annotations

from collections.abc import Iterator

from imagewright.findings import Severity
from imagewright.scan.checks import CheckContext, Hit, check

MACHINE_ID_FILES = ("/etc/machine-id", "/var/lib/dbus/machine-id")


@check(
    "machine-id-set",
    title="machine-id is set (instances would share one identity)",
    severity=Severity.medium,
    remediation="Empty /etc/machine-id (keep the file) and remove /var/lib/dbus/machine-id if it "
    "is not a link to it; systemd makes a new ID on first boot",
)
def machine_id_set(context: CheckContext) -> Iterator[Hit]:
    for path in MACHINE_ID_FILES:
        if not context.root.is_file(path):
            continue
        value = context.root.read_text(path).strip()
        if value and value != "uninitialized":
            yield Hit(path, evidence=f"{value[:4]}… ({len(value)} chars)")

from __future__ import annotations

from collections.abc import Iterator

from imagewright.findings import Severity
from imagewright.scan.checks import CheckContext, Hit, check


@check(
    "unowned-files",
    title="File owned by a user or group that the image does not define",
    severity=Severity.medium,
    cis="7.1.12",
    remediation="Give the file an owner and group from the image's /etc/passwd and /etc/group "
    "(`chown`), or remove it; a later account with that ID would own it",
)
def unowned_files(context: CheckContext) -> Iterator[Hit]:
    # IDs are resolved against the image's own account database, never the host's.
    uids = {int(f[2]) for f in context.passwd if len(f) > 2 and f[2].isdigit()}
    gids = {int(f[2]) for f in context.group if len(f) > 2 and f[2].isdigit()}
    if not uids:
        return
    for entry in context.entries:
        uid, gid = entry.stat.st_uid, entry.stat.st_gid
        if uid not in uids or gid not in gids:
            yield Hit(entry.path_str, evidence=f"uid {uid}, gid {gid}")

from __future__ import annotations

import fnmatch
from pathlib import PurePosixPath

from imagewright.sanitize import EXTENDED, SanitizeContext, operation

FOLDERS = ("/etc", "/root", "/srv", "/tmp", "/var")
NAMES = ("*.bak", "*~")


def _backups(ctx: SanitizeContext) -> list[PurePosixPath]:
    return sorted(
        entry.path
        for folder in FOLDERS
        if ctx.image.is_dir(folder)
        for entry in ctx.image.walk(folder)
        if entry.is_file and any(fnmatch.fnmatchcase(entry.path.name, n) for n in NAMES)
    )


@operation(
    "backup-files",
    profiles=EXTENDED,
    removes="editor and backup files (*.bak, *~) below /etc, /root, /srv, /tmp and /var",
    verified_by=_backups,
)
def backup_files(ctx: SanitizeContext) -> None:
    """Remove editor and backup copies of files, which may hold old secrets."""
    ctx.ops.announce("*.bak and *~ below " + ", ".join(FOLDERS))
    for path in _backups(ctx):
        ctx.ops.remove(path)

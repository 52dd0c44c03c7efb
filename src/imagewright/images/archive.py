"""Tar archives as image targets: unpacked into a work folder, packed back on commit.

GNU tar with numeric owners, xattrs (ACLs and file capabilities included), hard links, device
nodes and sparse files; a compressed archive is written back with the same compression.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from imagewright.errors import BadTargetError, CommandError, ImagewrightError
from imagewright.images.probe import compression_of
from imagewright.run import require_tool, run

FAITHFUL = ["--numeric-owner", "--xattrs", "--xattrs-include=*", "--acls"]
COMPRESSION_FLAGS = {"gzip": "--gzip", "xz": "--xz", "zstd": "--zstd", "bzip2": "--bzip2"}


def unpack(archive: Path, destination: Path) -> None:
    """Extract archive into destination (an empty folder) preserving everything tar records."""
    argv = [require_tool("tar"), *FAITHFUL, "--same-owner", "--preserve-permissions"]
    argv += ["--extract", "--file", str(archive), "--directory", str(destination)]
    try:
        run(argv)
    except CommandError as error:
        raise BadTargetError(f"{archive} cannot be extracted: {error.stderr.strip()}") from error


def pack(tree: Path, archive: Path) -> None:
    """Write tree as archive (atomically replacing it), compressed like the archive was."""
    archive = archive.resolve()  # a link to the archive stays a link
    compression = compression_of(archive) if archive.exists() else None
    argv = [require_tool("tar"), *FAITHFUL, "--sparse", "--sort=name"]
    if compression:
        argv.append(COMPRESSION_FLAGS[compression])
    partial = archive.with_name(f".{archive.name}.imagewright-partial")
    argv += ["--create", "--file", str(partial), "--directory", str(tree), "."]
    try:
        run(argv)
        if archive.exists():
            shutil.copymode(archive, partial)
        partial.replace(archive)
    except CommandError as error:
        raise ImagewrightError(
            f"cannot write {archive}: {error.stderr.strip()}",
            hint="check that its folder has enough free space",
        ) from error
    finally:
        partial.unlink(missing_ok=True)

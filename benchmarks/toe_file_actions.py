"""File action modules inside an image root vs the coreutils a shell script would use.

Run from the repository root as root: `python -m benchmarks.toe_file_actions [FILES]`.
A tree of FILES small files (default 20,000) is made inside a scratch image root; CopyFolder,
SetFolderPermissions, SetFolderOwner and DeleteFolder run through the chroot executor (every
path confined to the root) and are timed side by side with `cp -a`, `chmod -R`, `chown -R` and
`rm -rf` on an identical tree. The ratio is imagewright's time over the peer's.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from tests.toe_support import Context, execute

from imagewright.executors.chroot import ChrootExecutor


def make_tree(folder: Path, files: int) -> None:
    per_folder = 100
    for index in range(files):
        sub = folder / f"d{index // per_folder:04d}"
        if index % per_folder == 0:
            sub.mkdir(parents=True)
        (sub / f"f{index:06d}.conf").write_bytes(b"key = value\n" * 8)


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def main() -> None:
    files = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    with tempfile.TemporaryDirectory(prefix="imagewright-bench-") as scratch:
        root = Path(scratch) / "root"
        peer = Path(scratch) / "peer"
        for base in (root, peer):
            make_tree(base / "srv/data", files)
        ctx = Context(ChrootExecutor(root))
        rows = [
            (
                "CopyFolder vs cp -a",
                lambda: execute(
                    "CopyFolder", ctx, [{"source": "/srv/data", "destination": "/srv/copy"}]
                ),
                ["cp", "-a", peer / "srv/data", peer / "srv/copy"],
            ),
            (
                "SetFolderPermissions vs chmod -R",
                lambda: execute(
                    "SetFolderPermissions", ctx, [{"path": "/srv/copy", "permissions": "0750"}]
                ),
                ["chmod", "-R", "0750", peer / "srv/copy"],
            ),
            (
                "SetFolderOwner vs chown -R",
                lambda: execute(
                    "SetFolderOwner", ctx, [{"path": "/srv/copy", "owner": "0", "group": "0"}]
                ),
                ["chown", "-R", "0:0", peer / "srv/copy"],
            ),
            (
                "DeleteFolder vs rm -rf",
                lambda: execute("DeleteFolder", ctx, [{"path": "/srv/copy", "force": True}]),
                ["rm", "-rf", peer / "srv/copy"],
            ),
        ]
        print(f"{files} files of 96 bytes in {files // 100} folders")
        print(f"{'operation':36} {'imagewright':>12} {'peer':>10} {'ratio':>7}")
        for title, ours, theirs in rows:
            mine = timed(ours)
            other = timed(lambda argv=theirs: subprocess.run(argv, check=True))  # type: ignore[misc]
            print(f"{title:36} {mine:11.2f}s {other:9.2f}s {mine / other:6.1f}x")
        shutil.rmtree(root)


if __name__ == "__main__":
    main()

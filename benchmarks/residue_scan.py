"""Residue scan speed: `find_residue` over a raw disk vs `b2sum` reading and hashing the same file.

    python -m benchmarks.residue_scan [--size-mib 1024] [--fingerprint-mib 16] [--work-dir /var/tmp]

The disk is filled with non-zero data (no holes to skip, the worst case) and a fingerprinted
file is planted in it; every run checks that all of its blocks are found. Both tools read the
file from the page cache after one warm-up read, so the ratio compares the scanning work.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from imagewright.images.residue import BLOCK, Fingerprints, find_residue

CHUNK = 64 << 20


def make_disk(path: Path, size: int, planted: bytes, at: int) -> None:
    pattern = os.urandom(CHUNK)
    with path.open("wb") as handle:
        written = 0
        while written < size:
            handle.write(pattern[: min(CHUNK, size - written)])
            written += CHUNK
        handle.seek(at)
        handle.write(planted)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--fingerprint-mib", type=int, default=16)
    parser.add_argument("--work-dir", type=Path, default=Path("/var/tmp"))
    args = parser.parse_args()
    size = args.size_mib << 20
    with tempfile.TemporaryDirectory(dir=args.work_dir, prefix="imagewright-bench-") as folder:
        disk = Path(folder) / "disk.raw"
        removed = Path(folder) / "removed.key"
        removed.write_bytes(os.urandom(args.fingerprint_mib << 20))
        fingerprints = Fingerprints()
        blocks = fingerprints.add_file(removed, "/root/removed.key")
        make_disk(disk, size, removed.read_bytes(), at=size // 2 // BLOCK * BLOCK)
        subprocess.run(["cat", disk], stdout=subprocess.DEVNULL, check=True)  # warm the cache

        hits: list[object] = []
        ours = timed(lambda: hits.extend(find_residue(disk, fingerprints, phases=[0])))
        peer = timed(lambda: subprocess.run(["b2sum", disk], stdout=subprocess.DEVNULL, check=True))
        read = timed(lambda: subprocess.run(["cat", disk], stdout=subprocess.DEVNULL, check=True))
    assert len(hits) == blocks, f"expected {blocks} hits, found {len(hits)}"
    mib = size / (1 << 20)
    print(f"disk: {mib:.0f} MiB of non-zero data, {blocks} fingerprinted blocks, all found")
    print(f"imagewright find_residue : {mib / ours:8.0f} MiB/s  ({ours:.2f} s)")
    print(f"b2sum (read + hash)      : {mib / peer:8.0f} MiB/s  ({peer:.2f} s)")
    print(f"cat > /dev/null (read)   : {mib / read:8.0f} MiB/s  ({read:.2f} s)")
    print(f"ratio imagewright / b2sum: {peer / ours:.2f}x")


if __name__ == "__main__":
    main()

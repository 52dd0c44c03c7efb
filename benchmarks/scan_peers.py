"""Secret-scan throughput: imagewright vs detect-secrets (PyPI) on the same Debian tree, and
imagewright on a raw disk image whose free space is full of old data.

    .venv/bin/python -m benchmarks.scan_peers [--raw-size-mib 2048] [--peer-sample-mib 8]
                                              [--fstype ext4|xfs|btrfs]

The tree is the test suite's Debian base (mmdebstrap, cached) with the planted corpus and fresh
private keys. detect-secrets runs in this process on one core, over a fixed sample of the tree's
files (at under 1 MiB/s the whole tree takes minutes); imagewright is timed over the same sample
and over the whole tree. Both read from the page cache (each is run once before it is timed);
imagewright's figures are the best of 3 runs, detect-secrets runs once (it takes minutes).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import get_args

from tests.conftest import BASE_PACKAGES, cached_base, extract
from tests.integration.scan.scan_support import plant

from imagewright.images.disk import Fstype, make_disk
from imagewright.images.target import open_target
from imagewright.paths import ImageRoot
from imagewright.scan.engine import ScanResult, scan_image
from imagewright.scan.files import ScanStats, scan_files
from imagewright.scan.matcher import SecretMatcher
from imagewright.scan.packages import PackageFiles
from imagewright.scan.targets import open_scan_target

MiB = 1 << 20
REPEAT = 3
ONLY_SECRETS = frozenset({"deleted-data", "hygiene", "patches"})
ONLY_FREE_SPACE = frozenset({"secrets", "hygiene", "patches"})


def rate(size: int, seconds: float) -> float:
    return size / MiB / seconds


def sample_files(root: Path, budget: int) -> list[Path]:
    """Regular files spread over the whole tree (every n-th), about budget bytes in all."""
    files = sorted(
        Path(folder, name)
        for folder, _, names in os.walk(root)
        for name in names
        if Path(folder, name).is_file() and not Path(folder, name).is_symlink()
    )
    total = sum(p.stat().st_size for p in files)
    step = max(1, round(total / budget))
    return files[::step]


def best_of(runs: int, measure: Callable[[], float]) -> float:
    """The shortest of several timings: other load on the machine only ever adds time."""
    return min(measure() for _ in range(runs))


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def time_imagewright_tree(root: Path) -> tuple[int, float]:
    matcher = SecretMatcher()
    result = scan_image(ImageRoot(root), target="warm-up", skip=ONLY_SECRETS, matcher=matcher)
    seconds = best_of(
        REPEAT,
        lambda: timed(
            lambda: scan_image(ImageRoot(root), target="t", skip=ONLY_SECRETS, matcher=matcher)
        ),
    )
    return result.files.bytes, seconds


def time_imagewright_files(root: Path, files: list[Path]) -> tuple[int, float]:
    image = ImageRoot(root)
    matcher = SecretMatcher()
    wanted = {str(p) for p in files}
    entries = [e for e in image.walk() if e.is_file and e.host_str in wanted]
    packages = PackageFiles(image)
    stats = ScanStats()
    scan_files(entries, matcher, packages, stats)
    seconds = best_of(
        REPEAT, lambda: timed(lambda: scan_files(entries, matcher, packages, ScanStats()))
    )
    return stats.bytes, seconds


def time_detect_secrets(files: list[Path]) -> tuple[int, float, int]:
    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import default_settings

    names = [str(p) for p in files]
    size = sum(p.stat().st_size for p in files)
    for path in names[:50]:  # warm imports and plugin set-up
        with default_settings():
            SecretsCollection().scan_files(path, num_processors=1)
    started = time.perf_counter()
    with default_settings():
        secrets = SecretsCollection()
        secrets.scan_files(*names, num_processors=1)
    seconds = time.perf_counter() - started
    return size, seconds, sum(1 for _ in secrets)


def make_dirty_disk(tree: Path, disk: Path, size: int, fstype: Fstype) -> None:
    """A raw disk of the tree whose free space holds old file contents (text, not zeros)."""
    make_disk(tree, disk, fstype=fstype, size_bytes=size, table="gpt")
    filler = (b"INFO worker[1234]: processed batch 0000 of records; checksum ok\n" * 16384)[:MiB]
    with open_target(disk, writable=True) as opened:
        target = opened.root.resolve("/var/tmp/old-build-output")
        with target.open("wb") as handle:
            try:
                while True:
                    handle.write(filler)
            except OSError:  # ENOSPC: the file system is full
                pass
        opened.sync()
        target.unlink()
        opened.sync()


def time_raw(disk: Path) -> tuple[int, float, float, int]:
    """(disk size, whole scan seconds, free-space seconds, free bytes scanned)."""
    with open_scan_target(str(disk)) as target:
        assert target.raw_disk is not None
        matcher = SecretMatcher()
        # read the mounted files once, so they come from the page cache as in the tree benchmark
        scan_image(target.root, target="warm-up", skip=ONLY_SECRETS, matcher=matcher)

        def scan(skip: frozenset[str]) -> ScanResult:
            return scan_image(
                target.root,
                target=target.name,
                raw_disk=target.raw_disk,
                regions=target.regions,
                skip=skip,
                matcher=matcher,
            )

        whole_seconds = best_of(REPEAT, lambda: timed(lambda: scan(frozenset({"patches"}))))
        free = scan(ONLY_FREE_SPACE)
        free_seconds = best_of(REPEAT, lambda: timed(lambda: scan(ONLY_FREE_SPACE)))
    return disk.stat().st_size, whole_seconds, free_seconds, free.raw.bytes_scanned


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw-size-mib", type=int, default=2048)
    parser.add_argument("--peer-sample-mib", type=int, default=8)
    parser.add_argument("--fstype", choices=get_args(Fstype), default="ext4")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="imagewright-bench-scan-"))
    try:
        tree = extract(cached_base("debian-test", BASE_PACKAGES), work / "tree")
        plant(tree)
        size, seconds = time_imagewright_tree(tree)
        print(f"Debian tree: {size / MiB:.0f} MiB in files")
        print(f"  imagewright    whole tree  {rate(size, seconds):8.1f} MiB/s  ({seconds:.2f} s)")
        sample = sample_files(tree, args.peer_sample_mib * MiB)
        sample_size, iw_seconds = time_imagewright_files(tree, sample)
        ds_size, ds_seconds, ds_found = time_detect_secrets(sample)
        iw_rate, ds_rate = rate(sample_size, iw_seconds), rate(ds_size, ds_seconds)
        print(f"  sample of {len(sample)} files, {ds_size / MiB:.1f} MiB, one core each:")
        print(f"  imagewright    sample      {iw_rate:8.1f} MiB/s  ({iw_seconds:.2f} s)")
        print(
            f"  detect-secrets sample      {ds_rate:8.2f} MiB/s  ({ds_seconds:.1f} s, "
            f"{ds_found} findings)"
        )
        print(
            f"  ratio imagewright / detect-secrets: {iw_rate / ds_rate:.0f}x (sample), "
            f"{rate(size, seconds) / ds_rate:.0f}x (whole tree vs sample)"
        )

        disk = work / "disk.raw"
        make_dirty_disk(tree, disk, args.raw_size_mib * MiB, args.fstype)
        subprocess.run(["cat", str(disk)], stdout=subprocess.DEVNULL, check=True)  # page cache
        disk_size, whole_seconds, free_seconds, free_bytes = time_raw(disk)
        print(
            f"Raw disk image: {disk_size / MiB:.0f} MiB "
            f"({args.fstype}, free space full of old data)"
        )
        print(
            f"  imagewright    whole scan  {rate(disk_size, whole_seconds):8.1f} MiB/s of disk "
            f"({whole_seconds:.2f} s: files, free space, checks)"
        )
        print(
            f"  imagewright    free space  {rate(free_bytes, free_seconds):8.1f} MiB/s "
            f"({free_bytes / MiB:.0f} MiB in {free_seconds:.2f} s)"
        )
        print(f"cores: {os.cpu_count()} (imagewright and detect-secrets each used one)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

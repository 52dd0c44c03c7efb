"""Sanitizing a dirty Debian disk image, side by side with the peers.

Part 1: one dirty 2 GiB ext4 image (GPT), copied fresh for each contender:
  imagewright (ec2-image-builder profile), imagewright (extended profile),
  virt-sysprep (libguestfs, TCG), the seed's script run in a chroot, the seed's script + zerofree.
  Prints wall time, the ratio against imagewright, and the residue: planted secrets whose file is
  gone but whose bytes are still somewhere on the raw disk (free blocks and journal included).
Part 2: a tree of small files on its own ext4 file system: imagewright's batched shredder vs the
  seed's `find -exec shred -zuf {} \\;` pattern.

Run as root from the repository root:  .venv/bin/python -m benchmarks.sanitize_peers
Options: --files N (part 2, default 100000), --skip-virt-sysprep, --work DIR (default /dev/shm).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from tests.conftest import BASE_PACKAGES, cached_base
from tests.unit.sanitize.corpus import CORPUS, plant, secrets_on_disk

from imagewright.images.archive import unpack
from imagewright.images.disk import make_disk
from imagewright.paths import ImageRoot
from imagewright.sanitize import OPERATIONS
from imagewright.sanitize.engine import sanitize_root
from imagewright.sanitize.image import sanitize_image

GIB = 1 << 30
SEED_DOC = Path("/work/shared/seed/security-best-practices-ec2-image-builder.md")


def sh(*argv: str | Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in argv], check=True, text=True, **kwargs)  # type: ignore[call-overload, no-any-return]


@contextmanager
def mounted(image: Path, offset: int) -> Iterator[Path]:
    point = Path(tempfile.mkdtemp(prefix="bench-mnt-"))
    device = sh("losetup", "--find", "--show", "--offset", str(offset), image, capture_output=True)
    loop = device.stdout.strip()
    try:
        sh("mount", loop, point)
        try:
            yield point
        finally:
            sh("umount", point)
    finally:
        sh("losetup", "--detach", loop)
        point.rmdir()


def dirty_image(work: Path) -> tuple[Path, int]:
    """The Debian base + every operation's planted corpus + a few hundred MiB of logs, as a
    sparse 2 GiB GPT ext4 image; then secrets written and deleted with plain rm (the kind of
    remnant a build leaves in free space)."""
    tree = work / "tree"
    tree.mkdir()
    unpack(cached_base("debian-test", BASE_PACKAGES), tree)
    for name in CORPUS:
        plant(tree, name)
    journal = tree / "var/log/journal/0123456789abcdef"
    journal.mkdir(parents=True, exist_ok=True)
    for index in range(8):
        path = f"/var/log/journal/0123456789abcdef/system@{index}.journal"
        line = f"IMAGEWRIGHT-SECRET journal-logs {path} ".encode()
        (journal / f"system@{index}.journal").write_bytes((line + os.urandom(200)) * 20000)
    image = work / "dirty.raw"
    layout = make_disk(tree, image, fstype="ext4", size_bytes=2 * GIB, work_dir=work / "mk")
    shutil.rmtree(tree)
    with mounted(image, layout.root.offset) as root:
        for index in range(50):
            leftover = root / f"var/cache/build-{index}.tmp"
            leftover.write_bytes(f"DELETED-SECRET build /build-{index} ".encode() * 2000)
        os.sync()
        for index in range(50):
            (root / f"var/cache/build-{index}.tmp").unlink()
    return image, layout.root.offset


def residue(image: Path, offset: int) -> int:
    """Planted secrets whose file no longer exists but whose bytes are still on the raw disk."""
    found = secrets_on_disk(image)
    with mounted(image, offset) as root:
        image_root = ImageRoot(root)
        return sum(1 for path in found if not image_root.exists(path))


def seed_script(working_directory: str = "/tmp") -> str:
    text = SEED_DOC.read_text()
    script = text[text.index("#!/bin/bash") : text.rindex("```")]
    return script.replace("{{workingDirectory}}", working_directory)


def run_seed(image: Path, offset: int) -> None:
    with mounted(image, offset) as root:
        (root / "seed-cleanup.sh").write_text(seed_script())
        for folder in ("proc", "dev"):
            sh("mount", "--bind", f"/{folder}", root / folder)
        try:
            subprocess.run(["chroot", root, "bash", "/seed-cleanup.sh"], capture_output=True)
        finally:
            for folder in ("dev", "proc"):
                sh("umount", root / folder)
            (root / "seed-cleanup.sh").unlink()


def run_seed_and_zerofree(image: Path, offset: int) -> None:
    run_seed(image, offset)
    device = sh("losetup", "--find", "--show", "--offset", str(offset), image, capture_output=True)
    try:
        sh("zerofree", device.stdout.strip())
    finally:
        sh("losetup", "--detach", device.stdout.strip())


def run_virt_sysprep(image: Path, offset: int) -> None:
    env = dict(os.environ, LIBGUESTFS_BACKEND="direct", LIBGUESTFS_BACKEND_SETTINGS="force_tcg")
    sh("virt-sysprep", "--format", "raw", "-a", image, env=env, capture_output=True)


def ensure_virt_sysprep() -> bool:
    """virt-sysprep, and a kernel for its appliance (this machine boots without one in /boot)."""
    wanted = [] if shutil.which("virt-sysprep") else ["libguestfs-tools"]
    if not list(Path("/boot").glob("vmlinuz-*")):
        wanted.append("linux-image-amd64")
    if wanted:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        apt = ["apt-get", "install", "-y", "--no-install-recommends", *wanted]
        if subprocess.run(apt, env=env).returncode != 0:
            return False
    return shutil.which("virt-sysprep") is not None


def timed(action: Callable[[], object]) -> float:
    started = time.monotonic()
    action()
    return time.monotonic() - started


def part_one(work: Path, with_virt_sysprep: bool) -> None:
    image, offset = dirty_image(work)
    print(
        f"dirty image: {image.stat().st_size / GIB:.1f} GiB, residue before: "
        f"{residue(image, offset)} deleted-but-present secrets"
    )
    contenders: list[tuple[str, Callable[[Path], object]]] = [
        ("imagewright ec2-image-builder", lambda p: sanitize_image(p)),
        ("imagewright extended", lambda p: sanitize_image(p, profile="extended")),
        ("seed script (chroot)", lambda p: run_seed(p, offset)),
        ("seed script + zerofree", lambda p: run_seed_and_zerofree(p, offset)),
    ]
    if with_virt_sysprep and ensure_virt_sysprep():
        contenders.append(("virt-sysprep (TCG)", lambda p: run_virt_sysprep(p, offset)))
    results: list[tuple[str, float, int]] = []
    for name, action in contenders:
        copy = work / "copy.raw"
        sh("cp", "--sparse=always", image, copy)
        try:
            seconds = timed(partial(action, copy))
        except subprocess.CalledProcessError as error:
            print(f"{name} failed: {error}\n{error.stderr}", flush=True)
            continue
        finally:
            os.sync()
        results.append((name, seconds, residue(copy, offset)))
        print(f"{name}: {seconds:.1f} s", flush=True)
        copy.unlink()
    reference = results[0][1]
    print(f"\n{'contender':32} {'seconds':>9} {'x imagewright':>14} {'residue':>8}")
    for name, seconds, left in results:
        print(f"{name:32} {seconds:9.2f} {seconds / reference:14.1f} {left:8d}")


def small_files(root: Path, count: int) -> None:
    per_folder = 1000
    for index in range(count):
        folder = root / "var/tmp/tree" / f"d{index // per_folder:04d}"
        if index % per_folder == 0:
            folder.mkdir(parents=True)
        (folder / f"f{index:06d}").write_bytes(os.urandom(64 + index % 4000))


def clean_with_imagewright(root: Path) -> None:
    sanitize_root(ImageRoot(root), operations=[OPERATIONS.get("var-tmp")])


def clean_with_find(root: Path) -> None:
    tree = root / "var/tmp"
    sh("find", tree, "-type", "f", "-exec", "shred", "-zuf", "{}", ";")
    sh("rm", "-rf", *tree.iterdir())


def part_two(work: Path, count: int) -> None:
    size = max(1 * GIB, count * 16 << 10)
    fs = work / "files.img"
    timings: dict[str, float] = {}
    for name in ("imagewright", "find -exec shred -zuf"):
        fs.unlink(missing_ok=True)
        with fs.open("wb") as handle:
            handle.truncate(size)
        sh("mkfs.ext4", "-q", "-N", str(count + count // 5 + 1000), fs)
        with mounted(fs, 0) as root:
            small_files(root, count)
            os.sync()
            cleaner = clean_with_imagewright if name == "imagewright" else clean_with_find
            timings[name] = timed(partial(cleaner, root))
            assert not any((root / "var/tmp").iterdir())
    fs.unlink()
    ours, theirs = timings["imagewright"], timings["find -exec shred -zuf"]
    print(
        f"\n{count} small files: imagewright {ours:.1f} s, find -exec shred {theirs:.1f} s: "
        f"{theirs / ours:.1f}x faster"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--skip-virt-sysprep", action="store_true")
    parser.add_argument("--skip-image", action="store_true")
    parser.add_argument("--work", type=Path, default=Path("/dev/shm"))
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="imagewright-bench-", dir=args.work))
    try:
        if not args.skip_image:
            part_one(work, not args.skip_virt_sysprep)
        if args.files:
            part_two(work, args.files)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

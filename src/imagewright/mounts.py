"""The one mount stack: mounts, binds and loop devices as context managers.

`MountStack` registers a release only after the mount succeeded, releases in reverse order and
aggregates errors. Busy unmounts are retried, then detached lazily so no mount outlives a run.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

from imagewright.errors import CommandError, MountError
from imagewright.run import run

log = logging.getLogger(__name__)


class MountStack(ExitStack):
    """An ExitStack for mounts and loop devices: `stack.enter_context(mount(...))`."""


def is_mountpoint(path: Path) -> bool:
    target = os.path.realpath(path)
    with Path("/proc/self/mounts").open() as mounts:
        return any(line.split()[1] == target for line in mounts)


def mounts_below(path: Path) -> list[Path]:
    """Mount points at or below path, deepest first."""
    prefix = os.path.realpath(path)
    found: list[Path] = []
    with Path("/proc/self/mounts").open() as mounts:
        for line in mounts:
            point = line.split()[1].replace("\\040", " ")
            if point == prefix or point.startswith(prefix.rstrip("/") + "/"):
                found.append(Path(point))
    return sorted(found, key=lambda p: len(p.parts), reverse=True)


def unmount(target: Path, *, attempts: int = 5) -> None:
    """Unmount target, retrying while busy, then lazily; raises MountError only if still mounted."""
    for attempt in range(attempts):
        result = run(["umount", target], check=False)
        if result.returncode == 0 or not is_mountpoint(target):
            return
        time.sleep(0.2 * (attempt + 1))
    result = run(["umount", "--lazy", target], check=False)
    if result.returncode != 0 and is_mountpoint(target):
        raise MountError(
            f"cannot unmount {target}: {result.stderr.strip()}",
            hint="close shells or programs using files inside the image, then run "
            "'imagewright cleanup'",
        )
    log.warning("%s was busy and has been detached lazily", target)


def unmount_tree(path: Path) -> None:
    """Unmount everything at or below path, deepest first."""
    for point in mounts_below(path):
        unmount(point)


@contextmanager
def mount(
    source: str | os.PathLike[str],
    target: Path,
    *,
    fstype: str | None = None,
    options: Sequence[str] = (),
) -> Iterator[Path]:
    argv: list[str | os.PathLike[str]] = ["mount"]
    if fstype:
        argv += ["-t", fstype]
    if options:
        argv += ["-o", ",".join(options)]
    argv += [source, target]
    try:
        run(argv)
    except CommandError as e:
        raise MountError(f"cannot mount {source} on {target}: {e.stderr.strip()}") from e
    try:
        yield target
    finally:
        unmount_tree(target)


@contextmanager
def bind(source: Path, target: Path, *, readonly: bool = False) -> Iterator[Path]:
    with mount(source, target, options=["bind"]):
        if readonly:
            run(["mount", "-o", "remount,bind,ro", target])
        yield target


@contextmanager
def loop_attach(
    image: Path,
    *,
    partitions: bool = True,
    readonly: bool = False,
    offset: int = 0,
    size: int | None = None,
) -> Iterator[Path]:
    """Attach image to a free loop device (scanning partitions) and detach it afterwards.

    offset/size (bytes) attach only that region, e.g. one partition: kernels built without
    partition-table support never create /dev/loopNpM, so callers read the table themselves.
    """
    argv: list[str | os.PathLike[str]] = ["losetup", "--find", "--show"]
    if partitions:
        argv.append("--partscan")
    if readonly:
        argv.append("--read-only")
    if offset:
        argv.append(f"--offset={offset}")
    if size is not None:
        argv.append(f"--sizelimit={size}")
    argv.append(image)
    try:
        device = Path(run(argv).stdout.strip())
    except CommandError as e:
        raise MountError(f"cannot attach {image} to a loop device: {e.stderr.strip()}") from e
    try:
        yield device
    finally:
        detach_loop(device)


def detach_loop(device: Path) -> None:
    for attempt in range(5):
        if run(["losetup", "--detach", device], check=False).returncode == 0:
            return
        time.sleep(0.2 * (attempt + 1))
    raise MountError(f"cannot detach loop device {device}", hint="run 'imagewright cleanup'")

"""Opening a target — a directory, raw disk image, qcow2 image or tar archive — as an image root.

`open_target` detects the kind by content, makes the image's files reachable below one
`ImageRoot` (mounting the root file system and the others its fstab names), and releases every
mount, loop device and work copy on every exit path. Writable qcow2 and tar targets are written
back by `commit()`, which runs automatically when the `with` block ends without an exception.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath

from imagewright.errors import BadTargetError, MountError
from imagewright.images import archive
from imagewright.images.disk import flush
from imagewright.images.fstab import find_region, parse_fstab
from imagewright.images.probe import (
    ROOT_FILESYSTEMS,
    SUPPORTED_FILESYSTEMS,
    Region,
    TargetKind,
    detect_kind,
    regions,
)
from imagewright.images.scratch import scratch_dir
from imagewright.mounts import MountStack, bind, loop_attach, mount
from imagewright.paths import ImageRoot
from imagewright.run import require_tool, run

log = logging.getLogger(__name__)

# Options that keep a read-only mount from writing anything, journal replay included.
READ_ONLY_OPTIONS: dict[str, tuple[str, ...]] = {
    "ext2": ("ro",),
    "ext3": ("ro", "noload"),
    "ext4": ("ro", "noload"),
    "xfs": ("ro", "norecovery", "nouuid"),
    "btrfs": ("ro", "rescue=nologreplay"),
    "vfat": ("ro",),
}
# "rw" stops mount(8) from falling back to read-only on a write-protected file system; xfs
# refuses a second file system with a UUID already mounted (an image and its copy).
WRITABLE_OPTIONS: dict[str, tuple[str, ...]] = {"xfs": ("rw", "nouuid")}
# fstab options passed through: they select what is mounted, not how the host treats it.
PASSED_OPTIONS = ("subvol=", "subvolid=")


@dataclass(frozen=True, slots=True)
class MountedFilesystem:
    """One file system of an opened disk image and where it appears inside the image."""

    device: Path  # the loop device holding exactly this file system
    fstype: str
    mountpoint: PurePosixPath  # inside the image, e.g. /boot
    uuid: str | None
    label: str | None
    offset: int  # bytes from the start of the raw disk
    size: int  # bytes
    partition: int | None = None  # partition number; None on a disk without a table
    options: tuple[str, ...] = ()  # fstab options passed through (btrfs subvolumes)


@dataclass(eq=False)
class OpenedImage:
    """An opened target. `root` is where its files are; every path goes through it."""

    kind: TargetKind
    root: ImageRoot
    source: Path
    writable: bool
    filesystems: list[MountedFilesystem] = field(default_factory=list)
    raw_disk: Path | None = None  # the raw disk file to scan byte-wise (a work copy for qcow2)
    work_dir: Path | None = None  # this opening's own scratch folder (None for a directory)
    _mounts: MountStack | None = field(default=None, repr=False)

    def host_path(self, filesystem: MountedFilesystem) -> Path:
        """Where a file system is mounted on the host (resolved inside the image root)."""
        return self.root.resolve(filesystem.mountpoint)

    def sync(self) -> None:
        """Flush every mounted file system so `raw_disk` holds what the files hold."""
        for filesystem in self.filesystems:
            flush(self.host_path(filesystem))

    @contextmanager
    def unmounted(self) -> Iterator[None]:
        """Unmount every file system for the block, then mount them again in the same places."""
        if self._mounts is None:
            yield
            return
        self._mounts.close()
        try:
            yield
        finally:
            self._mounts, self.filesystems = _mount_all(
                self.root.root, self.filesystems, writable=self.writable
            )

    def commit(self) -> None:
        """Write the changes back to the source (qcow2 and tar; raw and directories: flush)."""
        if not self.writable:
            raise BadTargetError(f"{self.source} was opened read-only; nothing to commit")
        if self.kind == "tar":
            archive.pack(self.root.root, self.source)
        elif self.kind == "qcow2":
            if self.raw_disk is None:
                raise BadTargetError(f"{self.source}: the work copy is missing")
            with self.unmounted():
                _write_qcow2(self.raw_disk, self.source)
        elif self.filesystems:
            self.sync()


@contextmanager
def open_target(
    path: Path, *, writable: bool, work_dir: Path | None = None
) -> Iterator[OpenedImage]:
    """Open a target by its content; see the module docstring. Raises BadTargetError."""
    source = Path(path).absolute()
    kind = detect_kind(source)
    if writable:
        _require_writable(source)
    if kind == "directory":
        yield OpenedImage(kind, ImageRoot(source), source, writable)
        return
    with ExitStack() as stack:
        scratch = stack.enter_context(scratch_dir(work_dir))
        root = scratch / "root"
        root.mkdir()
        if kind == "tar":
            archive.unpack(source, root)
            opened = OpenedImage(kind, ImageRoot(root), source, writable)
        else:
            raw = source
            if kind == "qcow2":
                raw = scratch / "disk.raw"
                _read_qcow2(source, raw)
            opened = stack.enter_context(_open_raw(raw, root, writable=writable))
            opened.kind = kind
            opened.source = source
        opened.work_dir = scratch
        yield opened
        if writable:
            opened.commit()


def _require_writable(source: Path) -> None:
    if os.statvfs(source).f_flag & os.ST_RDONLY:
        raise BadTargetError(
            f"{source} is on a read-only file system and cannot be opened for writing",
            hint="copy it to a writable location first, or open it read-only",
        )
    if source.is_file() and not os.access(source, os.W_OK):
        raise BadTargetError(f"{source} is not writable")


def _read_qcow2(source: Path, raw: Path) -> None:
    info = run([require_tool("qemu-img"), "info", "--output=json", source], check=False)
    if info.returncode != 0:
        raise BadTargetError(f"{source} is not a readable qcow2 image: {info.stderr.strip()}")
    result = run(
        [require_tool("qemu-img"), "convert", "-f", "qcow2", "-O", "raw", source, raw],
        check=False,
    )
    if result.returncode != 0:
        raise BadTargetError(f"{source}: cannot read the qcow2 image: {result.stderr.strip()}")


def _write_qcow2(raw: Path, source: Path) -> None:
    destination = source.resolve()  # a link to the image stays a link
    partial = destination.with_name(f".{destination.name}.imagewright-partial")
    try:
        run([require_tool("qemu-img"), "convert", "-f", "raw", "-O", "qcow2", raw, partial])
        shutil.copymode(destination, partial)
        partial.replace(destination)
    finally:
        partial.unlink(missing_ok=True)


@contextmanager
def _open_raw(disk: Path, root: Path, *, writable: bool) -> Iterator[OpenedImage]:
    found = regions(disk)
    usable = [r for r in found if r.fstype in SUPPORTED_FILESYSTEMS]
    if not any(r.fstype in ROOT_FILESYSTEMS for r in usable):
        kinds = ", ".join(sorted({r.fstype or "unknown" for r in found}))
        raise BadTargetError(
            f"{disk}: no supported root file system (found: {kinds})",
            hint=f"supported root file systems: {', '.join(ROOT_FILESYSTEMS)}",
        )
    with MountStack() as stack:
        devices = {
            r.offset: stack.enter_context(
                loop_attach(
                    disk, partitions=False, readonly=not writable, offset=r.offset, size=r.size
                )
            )
            for r in usable
        }
        root_region, fstab_text = _find_root(disk, root, usable, devices)
        planned = [_mounted(root_region, devices, PurePosixPath("/"), ())]
        planned += _fstab_filesystems(fstab_text, usable, devices, root_region)
        mounts, filesystems = _mount_all(root, planned, writable=writable)
        opened = OpenedImage(
            "raw",
            ImageRoot(root),
            disk,
            writable,
            filesystems=filesystems,
            raw_disk=disk,
            _mounts=mounts,
        )
        try:
            yield opened
        finally:
            if opened._mounts is not None:
                opened._mounts.close()


def _mounted(
    region: Region,
    devices: dict[int, Path],
    mountpoint: PurePosixPath,
    options: tuple[str, ...],
) -> MountedFilesystem:
    return MountedFilesystem(
        device=devices[region.offset],
        fstype=region.fstype or "",
        mountpoint=mountpoint,
        uuid=region.uuid,
        label=region.label,
        offset=region.offset,
        size=region.size,
        partition=region.number,
        options=options,
    )


def _find_root(
    disk: Path, root: Path, usable: list[Region], devices: dict[int, Path]
) -> tuple[Region, str]:
    """The region holding /etc/os-release (or at least /etc/fstab), and its fstab text."""
    fallback: tuple[Region, str] | None = None
    problems: list[str] = []
    for region in usable:
        if region.fstype not in ROOT_FILESYSTEMS:
            continue
        try:
            with _mount_one(devices[region.offset], region.fstype, root, writable=False):
                image = ImageRoot(root)
                fstab = image.read_text("/etc/fstab") if image.is_file("/etc/fstab") else ""
                if image.exists("/etc/os-release") or image.exists("/usr/lib/os-release"):
                    return region, fstab
                if fstab and fallback is None:
                    fallback = region, fstab
        except BadTargetError as error:
            problems.append(error.message)
    if fallback is not None:
        return fallback
    probed = ", ".join(_describe(r) for r in usable)
    detail = "; ".join(problems) or f"none of {probed} holds /etc/os-release or /etc/fstab"
    raise BadTargetError(f"{disk}: no root file system found ({detail})")


def _describe(region: Region) -> str:
    where = f"partition {region.number}" if region.number else "the disk"
    return f"{region.fstype} on {where}"


def _fstab_filesystems(
    fstab_text: str,
    usable: list[Region],
    devices: dict[int, Path],
    root_region: Region,
) -> list[MountedFilesystem]:
    planned: list[MountedFilesystem] = []
    for entry in parse_fstab(fstab_text):
        if entry.fstype not in (*SUPPORTED_FILESYSTEMS, "auto") or "noauto" in entry.options:
            continue
        region = find_region(entry.spec, usable)
        if region is None:
            log.warning(
                "fstab line %d: %s is not on this disk; not mounted", entry.line, entry.spec
            )
            continue
        if not kernel_supports(region.fstype or ""):
            log.warning(
                "fstab line %d: this kernel cannot mount %s; %s is not opened",
                entry.line,
                region.fstype,
                entry.mountpoint,
            )
            continue
        options = tuple(o for o in entry.options if o.startswith(PASSED_OPTIONS))
        if region == root_region and not options:
            continue
        mountpoint = PurePosixPath("/", entry.mountpoint)
        if mountpoint == PurePosixPath("/"):
            continue
        planned.append(_mounted(region, devices, mountpoint, options))
    return sorted(planned, key=lambda f: len(f.mountpoint.parts))


def kernel_supports(fstype: str) -> bool:
    with Path("/proc/filesystems").open() as known:
        return any(line.split()[-1] == fstype for line in known if line.strip())


def _mount_all(
    root: Path, filesystems: list[MountedFilesystem], *, writable: bool
) -> tuple[MountStack, list[MountedFilesystem]]:
    """Mount the file systems in order; returns the mounts and the file systems mounted, each
    with its mount point as the canonical path inside the image."""
    stack = MountStack()
    mounted: list[MountedFilesystem] = []
    first_mounts: dict[tuple[Path, tuple[str, ...]], Path] = {}
    image = ImageRoot(root)
    try:
        for filesystem in filesystems:
            target: Path | None = root
            if filesystem.mountpoint != PurePosixPath("/"):
                target = _confined_mountpoint(image, filesystem.mountpoint)
            if target is None:
                continue
            mounted.append(replace(filesystem, mountpoint=image.image_path(target)))
            first = first_mounts.get((filesystem.device, filesystem.options))
            if first is not None:
                # The same file system listed twice: show it again rather than mount it again.
                stack.enter_context(bind(first, target, readonly=not writable))
                continue
            first_mounts[(filesystem.device, filesystem.options)] = target
            stack.enter_context(
                _mount_one(
                    filesystem.device,
                    filesystem.fstype,
                    target,
                    writable=writable,
                    extra=filesystem.options,
                )
            )
    except BaseException:
        stack.close()
        raise
    return stack, mounted


def _confined_mountpoint(image: ImageRoot, mountpoint: PurePosixPath) -> Path | None:
    """The host folder for an fstab mount point, resolved inside the image (None: skip it)."""
    host = image.resolve(mountpoint)
    # resolve() chased every symlink inside the root; what exists must be a real folder there.
    if os.path.realpath(host) != str(host) or not host.is_dir() or host.is_symlink():
        log.warning("mount point %s does not exist in the image; not mounted", mountpoint)
        return None
    if host == image.root:
        return None
    return host


@contextmanager
def _mount_one(
    device: Path,
    fstype: str,
    target: Path,
    *,
    writable: bool,
    extra: tuple[str, ...] = (),
) -> Iterator[Path]:
    options: tuple[str, ...]
    if writable:
        options = WRITABLE_OPTIONS.get(fstype, ("rw",))
    else:
        options = READ_ONLY_OPTIONS.get(fstype, ("ro",))
    with ExitStack() as stack:
        try:
            stack.enter_context(mount(device, target, fstype=fstype, options=(*options, *extra)))
        except MountError as error:
            message = error.message
            if writable and ("read-only" in message or "write-protected" in message):
                raise _read_only(fstype, device) from error
            raise BadTargetError(f"cannot mount the {fstype} file system: {message}") from error
        if writable and "ro" in _mount_options(target):
            # e.g. ext4's read-only feature: the kernel mounts it read-only without failing.
            raise _read_only(fstype, device)
        yield target


def _read_only(fstype: str, device: Path) -> BadTargetError:
    return BadTargetError(
        f"the {fstype} file system on {device} is read-only and cannot be changed",
        hint="open the image read-only, or clear the file system's read-only flag",
    )


def _mount_options(target: Path) -> list[str]:
    """Options of the topmost mount on target, from /proc/self/mounts."""
    options: list[str] = []
    with Path("/proc/self/mounts").open() as mounts:
        for line in mounts:
            fields = line.split()
            if fields[1] == str(target):
                options = fields[3].split(",")
    return options

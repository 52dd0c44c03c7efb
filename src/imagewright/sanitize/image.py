"""The entry point for every kind of target: `sanitize_image`.

Directories are sanitized in place. Disk images (raw, qcow2) are opened through the images layer:
the removed files are fingerprinted before they are shredded, the file systems' free blocks are
wiped (copy-on-write file systems are re-packed instead), and the whole raw disk is then scanned
for any block of removed content. Tar archives are unpacked, sanitized and packed again.
"""

from __future__ import annotations

import logging
import os
import time
from functools import partial
from pathlib import Path, PurePosixPath

from imagewright.errors import BadTargetError
from imagewright.images.freespace import wipe_free_space as wipe
from imagewright.images.residue import Fingerprints, ResidueHit, find_residue
from imagewright.images.target import OpenedImage, open_target
from imagewright.log import step
from imagewright.paths import ImageRoot
from imagewright.sanitize import Profile
from imagewright.sanitize.changes import LineSink
from imagewright.sanitize.engine import (
    FreeSpaceResult,
    Progress,
    ResidueResult,
    SanitizeFailed,
    SanitizeReport,
    sanitize_root,
)
from imagewright.sanitize.shred import ContentHook

log = logging.getLogger(__name__)

READ_CHUNK = 8 << 20
COPY_ON_WRITE = ("btrfs",)


def sanitize_image(
    target: OpenedImage | Path | str,
    *,
    profile: Profile | str = Profile.ec2_image_builder,
    enable: tuple[str, ...] = (),
    disable: tuple[str, ...] = (),
    working_directory: str = "/tmp",
    wipe_free_space: bool = True,
    residue_check: bool = True,
    dry_run: bool = False,
    passes: int = 3,
    user_data_override: bool = False,
    on_line: LineSink | None = None,
    on_progress: Progress | None = None,
) -> SanitizeReport:
    """Sanitize a directory, raw disk image, qcow2 image or tar archive (or an image the caller
    has already opened writable; the caller then commits it).

    Raises SanitizeFailed (exit 1) when something could not be removed or removed content is
    still on the disk, BadTargetError (exit 2) when the target cannot be used.
    """
    run = partial(
        _sanitize_opened,
        profile=profile,
        enable=enable,
        disable=disable,
        working_directory=working_directory,
        wipe_free_space=wipe_free_space,
        residue_check=residue_check,
        dry_run=dry_run,
        passes=passes,
        user_data_override=user_data_override,
        on_line=on_line,
        on_progress=on_progress,
    )
    started = time.monotonic()
    if isinstance(target, OpenedImage):
        report = run(target)
    else:
        path = Path(target)
        if not path.exists() and not path.is_symlink():
            raise BadTargetError(f"{path} does not exist")
        with open_target(path, writable=not dry_run) as opened:
            report = run(opened)
    report.seconds = time.monotonic() - started  # opening, wiping, checking and writing back
    if report.failures():
        raise SanitizeFailed(report)
    return report


def _sanitize_opened(
    opened: OpenedImage,
    *,
    profile: Profile | str,
    enable: tuple[str, ...],
    disable: tuple[str, ...],
    working_directory: str,
    wipe_free_space: bool,
    residue_check: bool,
    dry_run: bool,
    passes: int,
    user_data_override: bool,
    on_line: LineSink | None,
    on_progress: Progress | None,
) -> SanitizeReport:
    report = SanitizeReport(str(opened.source), opened.kind, Profile(profile).value, dry_run)
    raw = opened.raw_disk if opened.filesystems else None
    fingerprints = Fingerprints() if raw is not None and residue_check and not dry_run else None
    sanitize_root(
        opened.root,
        profile=profile,
        enable=enable,
        disable=disable,
        working_directory=working_directory,
        dry_run=dry_run,
        passes=passes,
        user_data_override=user_data_override,
        on_line=on_line,
        on_progress=on_progress,
        on_content=_fingerprint_into(fingerprints) if fingerprints is not None else None,
        report=report,
    )
    if raw is None:
        note = f"a {opened.kind} has no free blocks or raw disk of its own"
        report.free_space.note = report.residue.note = note
        return report
    if dry_run:
        report.free_space.note = "dry run: free space not wiped"
        report.residue.note = "dry run: nothing removed, nothing to look for"
        return report
    if wipe_free_space:
        with step("Wiping free space"):
            report.free_space = _wipe(opened)
    else:
        report.free_space.note = "not wiped (--no-wipe-free-space)"
    if fingerprints is not None:
        with step(f"Looking for {len(fingerprints)} removed blocks on the raw disk"):
            report.residue = _residue(opened, raw, fingerprints)
    else:
        report.residue.note = "not checked (--no-residue-check)"
    return report


def _fingerprint_into(fingerprints: Fingerprints) -> ContentHook:
    def add(fd: int, label: str) -> None:
        while chunk := os.read(fd, READ_CHUNK):
            fingerprints.add_bytes(chunk, label)

    return add


def _wipe(opened: OpenedImage) -> FreeSpaceResult:
    started = time.monotonic()
    free = 0
    for filesystem in opened.filesystems:
        info = os.statvfs(opened.host_path(filesystem))
        free += info.f_bfree * info.f_frsize
    cow = sorted({f.fstype for f in opened.filesystems if f.fstype in COPY_ON_WRITE})
    note = None
    if cow:
        note = (
            f"{', '.join(cow)} is copy-on-write: overwriting in place leaves the old extents, so "
            "the file system was re-packed into a fresh one with the same UUID and label"
        )
        log.warning("%s", note)
    results = wipe(opened)
    methods = sorted({r.method for r in results})
    return FreeSpaceResult(
        wiped=bool(results),
        bytes=free,
        method=",".join(methods) or None,
        note=note,
        seconds=time.monotonic() - started,
    )


def _residue(opened: OpenedImage, raw: Path, fingerprints: Fingerprints) -> ResidueResult:
    started = time.monotonic()
    opened.sync()
    hits = find_residue(raw, fingerprints)
    if hits:
        hits = _drop_live_copies(opened.root, fingerprints, hits)
    for hit in hits:
        log.error("content of %s is still on the disk at byte %d", hit.image_path, hit.offset)
    return ResidueResult(
        checked=True,
        fingerprints=len(fingerprints),
        found=[{"path": str(h.image_path), "offset": h.offset} for h in hits],
        seconds=time.monotonic() - started,
    )


def _drop_live_copies(
    root: ImageRoot, fingerprints: Fingerprints, hits: list[ResidueHit]
) -> list[ResidueHit]:
    """Hits whose block is also the content of a file that stays (e.g. /etc/shadow- and
    /etc/shadow are often identical) prove nothing about the removed file: drop them."""
    live: set[tuple[PurePosixPath, int]] = set()
    for entry in root.walk("/", one_file_system=False):
        if not entry.is_file or entry.stat.st_size == 0:
            continue
        try:
            fd = os.open(entry.host, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            continue
        try:
            while chunk := os.read(fd, READ_CHUNK):
                for start in range(0, len(chunk), 4096):
                    block = chunk[start : start + 4096].ljust(4096, b"\0")
                    live.update(fingerprints.match(block))
        finally:
            os.close(fd)
    return [h for h in hits if (h.image_path, h.block) not in live]

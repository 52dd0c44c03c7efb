"""Base images: what a recipe's `parentImage` names, made bootable and cached by their inputs.

`debian:<version or suite>` is made with mmdebstrap from the host's mirror with a kernel, systemd
and sshd; a local raw, qcow2 or tar file is used as it is. Either way the base becomes a bootable
disk (GPT, one root file system, GRUB) that is cached in the state folder, keyed by everything
that goes into it, so a second build only copies it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from imagewright.config.recipe import BootMode, FileSystem
from imagewright.errors import BadTargetError, CommandError, ConfigError, ImagewrightError, Problem
from imagewright.images.debian import SUITE_ALIASES, mmdebstrap, suite_name
from imagewright.images.mirror import debian_sources
from imagewright.images.probe import detect_kind
from imagewright.pipeline.bootloader import install_bootloader
from imagewright.run import run

log = logging.getLogger(__name__)

# What every Debian base gets so that it boots on a virtual machine and can be reached.
DEBIAN_BOOT_PACKAGES = (
    "linux-image-cloud-amd64",
    "systemd-sysv",
    "udev",
    "openssh-server",
    "sudo",
    "ca-certificates",
    "passwd",
    "procps",
    "apt",
)
# Bumped whenever what goes into a cached base changes in a way its inputs do not show.
BASE_FORMAT = 1
DEBIAN_PARENT = re.compile(r"^debian:(?P<release>[a-z0-9.-]+)$")


@dataclass(frozen=True, slots=True)
class ParentImage:
    """A parsed `parentImage`: a Debian release to bootstrap, or a local image file."""

    suite: str | None = None
    path: Path | None = None

    def describe(self) -> str:
        return f"debian:{self.suite}" if self.suite else str(self.path)


def parse_parent(value: str, recipe_directory: Path) -> ParentImage:
    match = DEBIAN_PARENT.match(value)
    if match:
        return ParentImage(suite=suite_name(match["release"]))
    if value.startswith(("ami-", "arn:", "ssm:")):
        raise ConfigError(
            Problem(
                f"'{value}' is an AWS image, which cannot be fetched on this machine",
                field="parentImage",
            ),
            hint="use debian:<version> (e.g. debian:12) or a local raw, qcow2 or tar image",
        )
    path = (recipe_directory / value).resolve()
    if not path.exists():
        known = ", ".join(f"debian:{v}" for v in (*SUITE_ALIASES, *SUITE_ALIASES.values()))
        raise ConfigError(
            Problem(f"'{value}' is neither a known base nor an existing file", field="parentImage"),
            hint=f"use one of {known}, or the path of a raw, qcow2 or tar image",
        )
    try:
        detect_kind(path)
    except BadTargetError as error:
        raise ConfigError(Problem(error.message, field="parentImage"), hint=error.hint) from error
    return ParentImage(path=path)


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _key(*parts: object) -> str:
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()[:16]


def debian_tarball(suite: str, cache: Path, *, timeout: float = 1800) -> Path:
    """A Debian root with kernel and systemd as a tar archive, made once per set of inputs."""
    sources = [s.line() for s in debian_sources(suite)]
    tarball = (
        cache / f"debian-{suite}-{_key(BASE_FORMAT, suite, DEBIAN_BOOT_PACKAGES, sources)}.tar"
    )
    with _locked(cache / f"debian-{suite}.lock"):
        if tarball.exists():
            log.info("Using the cached Debian %s base %s", suite, tarball.name)
            return tarball
        partial = tarball.with_name(f".{tarball.name}.partial.tar")
        partial.unlink(missing_ok=True)
        try:
            try:
                mmdebstrap(partial, suite=suite, packages=DEBIAN_BOOT_PACKAGES, timeout=timeout)
            except CommandError as error:
                raise ImagewrightError(
                    f"mmdebstrap could not make the Debian {suite} base: {error.message}",
                    hint="check that this host's Debian mirror (/etc/apt/sources.list*) is "
                    f"reachable and has {suite}",
                ) from error
            partial.replace(tarball)
        finally:
            partial.unlink(missing_ok=True)
    return tarball


def _source_identity(path: Path) -> tuple[str, int, int]:
    status = path.stat()
    return (str(path), status.st_size, status.st_mtime_ns)


def base_disk(
    parent: ParentImage,
    *,
    cache: Path,
    fstype: FileSystem,
    size_bytes: int,
    boot: BootMode,
    work_dir: Path,
) -> Path:
    """The cached bootable disk of a parent image for this file system, size and boot mode."""
    from imagewright.images.disk import make_disk
    from imagewright.images.target import open_target

    cache.mkdir(parents=True, exist_ok=True)
    if parent.path is not None:
        source = parent.path
        identity: object = _source_identity(source)
    else:
        source = debian_tarball(parent.suite or "bookworm", cache)
        identity = source.name
    name = (
        "debian-" + parent.suite if parent.suite else re.sub(r"[^A-Za-z0-9_.-]", "_", source.stem)
    )
    disk = cache / f"{name}-{_key(BASE_FORMAT, identity, fstype, size_bytes, boot)}.raw"
    with _locked(cache / f"{disk.stem}.lock"):
        if disk.exists():
            log.info("Using the cached base disk %s", disk.name)
            return disk
        partial = disk.with_name(f".{disk.name}.partial")
        partial.unlink(missing_ok=True)
        try:
            with open_target(source, writable=False, work_dir=work_dir) as opened:
                layout = make_disk(
                    opened.root.root,
                    partial,
                    fstype=fstype.value,
                    size_bytes=size_bytes,
                    boot=boot.value,
                    work_dir=work_dir,
                )
            install_bootloader(layout, boot, work_dir=work_dir, configure_network=True)
            partial.replace(disk)
        finally:
            partial.unlink(missing_ok=True)
    return disk


def copy_disk(source: Path, destination: Path) -> Path:
    """A sparse copy of a disk image (reflinked where the file system can)."""
    run(["cp", "--sparse=always", "--reflink=auto", source, destination])
    return destination

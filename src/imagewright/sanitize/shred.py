"""In-process secure deletion with `shred -zuf` semantics, batched.

For every regular file: N passes of random data then one pass of zeros over every allocated extent
(up to the block boundary, holes of sparse files are left holes), each pass flushed to the disk
before the next; then the file is truncated, renamed to ever shorter names of zeros and unlinked,
the folder flushed after every rename. Files are opened relative to a folder descriptor with
O_NOFOLLOW|O_NONBLOCK and checked with fstat: a symlink is removed without being followed, FIFOs,
sockets and devices are removed without ever being opened.

Instead of one fsync per pass per file (what `find -exec shred` costs), the passes of a batch of
files are written first and the file system is flushed once per pass with syncfs(2): the data that
reaches the disk is the same, the number of flushes is not.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import fcntl
import os
import resource
import stat
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

CHUNK = 1 << 20
NAME_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_."
FS_IOC_GETFLAGS = 0x80086601
FS_IMMUTABLE_FL = 0x10
FS_APPEND_FL = 0x20
RENAME_NOREPLACE = 1
FLUSH_ONE_BY_ONE = 16
MAX_NAME_TRIES = 256  # names already taken by other files before giving up on a length

_libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)


class ShredError(Exception):
    """One file could not be shredded; the message says why in user terms."""


@dataclass(slots=True)
class Target:
    """A file to shred: its folder on the host, its name, and how to report it."""

    folder: Path
    name: str
    label: str  # the path inside the image, for messages
    keep: bool = False  # wipe the content but keep the file (truncate)


@dataclass(slots=True)
class Outcome:
    target: Target
    kind: str  # file | symlink | fifo | socket | device | missing | directory
    bytes_overwritten: int = 0
    error: str | None = None
    note: str | None = None


@dataclass(slots=True)
class _Open:
    target: Target
    outcome: Outcome
    dir_fd: int
    fd: int
    extents: list[tuple[int, int]] = field(default_factory=list)


ContentHook = Callable[[int, str], None]  # (read-only fd of the content, image path)


def syncfs(fd: int) -> None:
    if _libc.syncfs(fd) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def zero_name(index: int, length: int) -> str:
    """The index-th name of this length: zeros, then counting up in NAME_ALPHABET's digits."""
    digits = []
    for _ in range(length):
        index, digit = divmod(index, len(NAME_ALPHABET))
        digits.append(NAME_ALPHABET[digit])
    return "".join(reversed(digits))


def flush(fds: list[int], one: Callable[[int], None]) -> None:
    """Make what was written through fds durable: a few files one by one, many with one
    syncfs per file system (a syncfs also flushes other writers' data on a shared disk)."""
    if len(fds) <= FLUSH_ONE_BY_ONE:
        for fd in fds:
            one(fd)
        return
    devices: dict[int, int] = {}
    for fd in fds:
        devices.setdefault(os.fstat(fd).st_dev, fd)
    for fd in devices.values():
        syncfs(fd)


def rename_noreplace(dir_fd: int, old: str, new: str) -> None:
    result = _libc.renameat2(dir_fd, old.encode(), dir_fd, new.encode(), RENAME_NOREPLACE)
    if result != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err), new)


def inode_flags(fd: int) -> int:
    try:
        buffer = fcntl.ioctl(fd, FS_IOC_GETFLAGS, struct.pack("l", 0))
    except OSError:
        return 0
    return int(struct.unpack("l", buffer)[0])


def protected_reason(flags: int) -> str | None:
    if flags & FS_IMMUTABLE_FL:
        return "the file is immutable (chattr +i); clear it with 'chattr -i' to allow removal"
    if flags & FS_APPEND_FL:
        return "the file is append-only (chattr +a); clear it with 'chattr -a' to allow removal"
    return None


def kind_of(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "device"


def data_extents(fd: int, size: int, block: int) -> list[tuple[int, int]]:
    """Allocated ranges of the file, each end rounded up to the block boundary (as shred)."""
    extents: list[tuple[int, int]] = []
    offset = 0
    while offset < size:
        try:
            start = os.lseek(fd, offset, os.SEEK_DATA)
        except OSError as e:
            if e.errno == errno.ENXIO:
                break
            return [(0, -(-size // block) * block)]
        end = os.lseek(fd, start, os.SEEK_HOLE)
        extents.append((start, min(-(-end // block) * block, -(-size // block) * block)))
        offset = end
    return extents


def raise_open_file_limit() -> int:
    """Allow as many open files as the hard limit (a batch holds one descriptor per file)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        soft = hard
    return soft


class Shredder:
    """Shreds batches of files; `passes` random passes, then one zero pass."""

    def __init__(self, *, passes: int = 3, on_content: ContentHook | None = None) -> None:
        if passes < 0:
            raise ValueError("passes must be 0 or more")
        self.passes = passes
        self.on_content = on_content
        self.batch = max(16, min(1024, raise_open_file_limit() // 4))

    def shred(self, targets: Sequence[Target]) -> list[Outcome]:
        outcomes: list[Outcome] = []
        for start in range(0, len(targets), self.batch):
            outcomes.extend(self._shred_batch(targets[start : start + self.batch]))
        return outcomes

    def _shred_batch(self, targets: Sequence[Target]) -> list[Outcome]:
        folders: dict[Path, int] = {}
        opened: list[_Open] = []
        outcomes: list[Outcome] = []
        try:
            for target in targets:
                outcome = Outcome(target, "missing")
                outcomes.append(outcome)
                try:
                    dir_fd = folders.get(target.folder)
                    if dir_fd is None:
                        dir_fd = os.open(
                            target.folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
                        )
                        folders[target.folder] = dir_fd
                    handle = self._open(target, outcome, dir_fd)
                except FileNotFoundError:
                    continue
                except OSError as e:
                    outcome.error = f"{target.label}: {e.strerror}"
                    continue
                except ShredError as e:
                    outcome.error = str(e)
                    continue
                if handle is not None:
                    opened.append(handle)
            self._overwrite(opened)
            self._remove_names([h for h in opened if not h.target.keep and not h.outcome.error])
        finally:
            for handle in opened:
                os.close(handle.fd)
            for dir_fd in folders.values():
                os.close(dir_fd)
        return outcomes

    def _open(self, target: Target, outcome: Outcome, dir_fd: int) -> _Open | None:
        info = os.stat(target.name, dir_fd=dir_fd, follow_symlinks=False)
        outcome.kind = kind_of(info.st_mode)
        if outcome.kind == "directory":
            raise ShredError(f"{target.label} is a directory")
        if outcome.kind != "file":
            # Never opened: a link is removed without touching its target, a FIFO without
            # blocking, a device without reading or writing it.
            if not target.keep:
                self._unlink(dir_fd, target)
            else:
                outcome.note = f"left alone: a {outcome.kind}, not a regular file"
            return None
        flags = os.O_WRONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
        try:
            fd = os.open(target.name, flags, dir_fd=dir_fd)
        except PermissionError:
            self._refuse_protected(target, dir_fd)
            # shred -f: make the file writable and try again.
            os.chmod(target.name, stat.S_IMODE(info.st_mode) | stat.S_IWUSR, dir_fd=dir_fd)
            fd = os.open(target.name, flags, dir_fd=dir_fd)
        opened = os.fstat(fd)
        if not stat.S_ISREG(opened.st_mode) or opened.st_ino != info.st_ino:
            os.close(fd)
            raise ShredError(f"{target.label} changed while it was being opened")
        reason = protected_reason(inode_flags(fd))
        if reason:
            os.close(fd)
            raise ShredError(f"cannot remove {target.label}: {reason}")
        if opened.st_nlink > 1:
            outcome.note = (
                f"had {opened.st_nlink - 1} other hard link(s): the shared content is wiped, "
                "the other names stay"
            )
        if self.on_content is not None:
            self._show_content(self.on_content, dir_fd, target)
        block = max(opened.st_blksize, 512)
        return _Open(target, outcome, dir_fd, fd, data_extents(fd, opened.st_size, block))

    @staticmethod
    def _show_content(hook: ContentHook, dir_fd: int, target: Target) -> None:
        reader = os.open(target.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
        try:
            hook(reader, target.label)
        finally:
            os.close(reader)

    def _refuse_protected(self, target: Target, dir_fd: int) -> None:
        try:
            reader = os.open(
                target.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd
            )
        except OSError:
            return
        try:
            reason = protected_reason(inode_flags(reader))
        finally:
            os.close(reader)
        if reason:
            raise ShredError(f"cannot remove {target.label}: {reason}")

    def _unlink(self, dir_fd: int, target: Target) -> None:
        try:
            os.unlink(target.name, dir_fd=dir_fd)
        except PermissionError as e:
            raise ShredError(
                f"cannot remove {target.label}: {e.strerror} (immutable or append-only folder?)"
            ) from e

    def _overwrite(self, opened: list[_Open]) -> None:
        if not opened:
            return
        largest = max((end - start for h in opened for start, end in h.extents), default=0)
        length = min(CHUNK, largest)
        patterns = [os.urandom(length) for _ in range(self.passes)] + [bytes(length)]
        for pattern in patterns:
            for handle in opened:
                if handle.outcome.error:
                    continue
                try:
                    written = self._write_extents(handle, pattern)
                except OSError as e:
                    handle.outcome.error = f"cannot overwrite {handle.target.label}: {e.strerror}"
                    continue
                if pattern is patterns[-1]:
                    handle.outcome.bytes_overwritten = written
            self._flush(opened)
        for handle in opened:
            if not handle.outcome.error:
                os.ftruncate(handle.fd, 0)
        self._flush(opened)

    @staticmethod
    def _write_extents(handle: _Open, pattern: bytes) -> int:
        written = 0
        for start, end in handle.extents:
            offset = start
            while offset < end:
                count = os.pwrite(handle.fd, memoryview(pattern)[: end - offset], offset)
                offset += count
                written += count
        return written

    @staticmethod
    def _flush(opened: list[_Open]) -> None:
        flush([h.fd for h in opened], os.fdatasync)

    def _remove_names(self, opened: list[_Open]) -> None:
        # As shred's default "wipesync": rename to names of zeros of every length from the
        # original one down to 1, flushing the folders after every round. Files of one folder
        # share a round, so each takes the next free name of that length ("000", "001", ...).
        names = {id(h): h.target.name for h in opened}
        longest = max((len(n) for n in names.values()), default=0)
        for length in range(longest, 0, -1):
            renamed = False
            next_index: dict[int, int] = {}
            for handle in opened:
                current = names[id(handle)]
                if len(handle.target.name) < length or handle.outcome.error:
                    continue
                start = next_index.get(handle.dir_fd, 0)
                try:
                    new, next_index[handle.dir_fd] = self._free_name(
                        handle.dir_fd, current, length, start
                    )
                except OSError as e:
                    handle.outcome.error = f"cannot rename {handle.target.label}: {e.strerror}"
                    continue
                if new is not None:
                    names[id(handle)] = new
                    renamed = True
            if renamed:
                self._flush_folders(opened)
        for handle in opened:
            if handle.outcome.error:
                continue
            try:
                os.unlink(names[id(handle)], dir_fd=handle.dir_fd)
            except OSError as e:
                handle.outcome.error = f"cannot remove {handle.target.label}: {e.strerror}"
        self._flush_folders(opened)

    @staticmethod
    def _free_name(dir_fd: int, current: str, length: int, start: int) -> tuple[str | None, int]:
        """Rename current to the first free name of this length from the start-th on; returns
        the new name (None: none free) and where the next file of the folder should start."""
        for index in range(start, min(start + MAX_NAME_TRIES, len(NAME_ALPHABET) ** length)):
            candidate = zero_name(index, length)
            if candidate == current:
                return current, index + 1
            try:
                rename_noreplace(dir_fd, current, candidate)
            except OSError as e:
                if e.errno == errno.EEXIST:
                    continue
                if e.errno == errno.EINVAL:
                    return None, index  # the file system cannot rename without replacing
                raise
            return candidate, index + 1
        return None, start

    @staticmethod
    def _flush_folders(opened: list[_Open]) -> None:
        flush(list({h.dir_fd for h in opened}), os.fsync)

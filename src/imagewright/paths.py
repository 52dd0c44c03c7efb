"""The one root-confined path resolver.

Every path inside an image is resolved here. Symlinks are chased component by component *inside*
the image root: an absolute link target restarts at the root, `..` never climbs above it, so a
hostile image cannot make an operation reach a host file.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from imagewright.errors import UnsafePathError

MAX_SYMLINKS = 40


class Entry:
    """One walked file system object: its path inside the image and its lstat.

    The paths are kept as strings and turned into path objects only when asked for: a walk of a
    whole image makes tens of thousands of entries and most are only looked at by mode.
    """

    __slots__ = ("_host", "_path", "host_str", "path_str", "stat")

    def __init__(self, path: PurePosixPath | str, host: Path | str, stat: os.stat_result) -> None:
        self.path_str = str(path)  # absolute, inside the image, e.g. /etc/passwd
        self.host_str = str(host)  # on the host (never follow it if it is a symlink)
        self.stat = stat
        self._path = path if isinstance(path, PurePosixPath) else None
        self._host = host if isinstance(host, Path) else None

    def __repr__(self) -> str:
        return f"Entry({self.path_str!r})"

    @property
    def path(self) -> PurePosixPath:
        if self._path is None:
            self._path = PurePosixPath(self.path_str)
        return self._path

    @property
    def host(self) -> Path:
        if self._host is None:
            self._host = Path(self.host_str)
        return self._host

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.stat.st_mode)

    @property
    def is_file(self) -> bool:
        return stat.S_ISREG(self.stat.st_mode)

    @property
    def is_symlink(self) -> bool:
        return stat.S_ISLNK(self.stat.st_mode)


class ImageRoot:
    """A directory that is the root of an image's file system."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(os.path.realpath(root))
        if self.root == Path("/"):
            raise UnsafePathError(
                "refusing to treat the running system's / as an image root",
                hint="point the command at an image, a mounted image or a copy of a tree",
            )

    def __repr__(self) -> str:
        return f"ImageRoot({str(self.root)!r})"

    @staticmethod
    def _parts(path: str | PurePosixPath) -> list[str]:
        return [p for p in PurePosixPath("/", path).parts[1:] if p not in ("", ".")]

    def resolve(self, path: str | PurePosixPath, *, follow_final: bool = True) -> Path:
        """Host path of `path` inside the image, symlinks resolved within the root.

        With follow_final=False a final symlink is not followed (the link itself is returned),
        which is what deleting or replacing a link needs.
        """
        pending = self._parts(path)
        resolved: list[str] = []
        hops = 0
        while pending:
            part = pending.pop(0)
            if part == "..":
                if resolved:
                    resolved.pop()
                continue
            candidate = self.root.joinpath(*resolved, part)
            is_final = not pending
            try:
                info = candidate.lstat()
            except (FileNotFoundError, NotADirectoryError):
                resolved.append(part)
                continue
            if stat.S_ISLNK(info.st_mode) and (follow_final or not is_final):
                hops += 1
                if hops > MAX_SYMLINKS:
                    raise UnsafePathError(f"too many levels of symbolic links in {path}")
                target = str(candidate.readlink())
                if target.startswith("/"):
                    resolved = []
                pending = self._parts(target) + pending if target.strip("/") else pending
                continue
            resolved.append(part)
        host = self.root.joinpath(*resolved)
        if host != self.root and self.root not in host.parents:
            raise UnsafePathError(f"{path} resolves outside the image root")
        return host

    def image_path(self, host: Path) -> PurePosixPath:
        """The path inside the image of a host path below the root."""
        relative = Path(host).relative_to(self.root)
        return PurePosixPath("/", *relative.parts)

    def lstat(self, path: str | PurePosixPath) -> os.stat_result | None:
        """The object at path (a final symlink itself), or None; a symlink loop is None too."""
        try:
            return self.resolve(path, follow_final=False).lstat()
        except (FileNotFoundError, NotADirectoryError, UnsafePathError):
            return None

    def exists(self, path: str | PurePosixPath) -> bool:
        return self.lstat(path) is not None

    def is_file(self, path: str | PurePosixPath) -> bool:
        info = self.lstat(path)
        return info is not None and stat.S_ISREG(info.st_mode)

    def is_dir(self, path: str | PurePosixPath) -> bool:
        try:
            return stat.S_ISDIR(self.resolve(path).lstat().st_mode)
        except (FileNotFoundError, NotADirectoryError, UnsafePathError):
            return False

    def read_bytes(self, path: str | PurePosixPath) -> bytes:
        host = self.resolve(path)
        fd = os.open(host, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise UnsafePathError(f"{path} is not a regular file")
            with os.fdopen(fd, "rb", closefd=False) as handle:
                return handle.read()
        finally:
            os.close(fd)

    def read_text(self, path: str | PurePosixPath) -> str:
        return self.read_bytes(path).decode("utf-8", errors="replace")

    def write_bytes(self, path: str | PurePosixPath, data: bytes, *, mode: int = 0o644) -> Path:
        host = self.resolve(path, follow_final=False)
        if host.is_symlink():
            host.unlink()
        host.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(host, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, mode)
        try:
            view = memoryview(data)
            while view:  # a short write (e.g. the disk filling up) is followed by ENOSPC
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)
        return host

    def write_text(self, path: str | PurePosixPath, text: str, *, mode: int = 0o644) -> Path:
        return self.write_bytes(path, text.encode(), mode=mode)

    def listdir(self, path: str | PurePosixPath) -> list[str]:
        try:
            return sorted(child.name for child in self.resolve(path).iterdir())
        except (FileNotFoundError, NotADirectoryError):
            return []

    def glob(self, pattern: str) -> list[PurePosixPath]:
        """Image paths matching a shell pattern (*, ?, [..] per component), sorted.

        Folders are entered through the resolver; matches are not followed, so a matching
        symlink is returned as the link.
        """
        current = [PurePosixPath("/")]
        parts = self._parts(pattern)
        for index, part in enumerate(parts):
            final = index == len(parts) - 1
            following: list[PurePosixPath] = []
            for base in current:
                if not any(ch in part for ch in "*?["):
                    candidate = base / part
                    if self.exists(candidate) if final else self.is_dir(candidate):
                        following.append(candidate)
                    continue
                for name in self.listdir(base):
                    if (
                        fnmatch.fnmatchcase(name, part)
                        and (final or self.is_dir(base / name))
                        and not (name.startswith(".") and not part.startswith("."))
                    ):
                        following.append(base / name)
            current = following
        return sorted(current)

    def walk(
        self, path: str | PurePosixPath = "/", *, one_file_system: bool = True
    ) -> Iterator[Entry]:
        """Every object below path (path included), depth first, never following symlinks."""
        start = self.resolve(path)
        try:
            start_stat = start.lstat()
        except FileNotFoundError:
            return
        device = start_stat.st_dev
        start_image = self.image_path(start)
        yield Entry(start_image, start, start_stat)
        # Folders as (host, image) strings: joining strings is much cheaper than relative_to.
        stack = [(str(start), str(start_image).rstrip("/") + "/")]
        while stack:
            folder, image_folder = stack.pop()
            try:
                with os.scandir(folder) as entries:
                    children = list(entries)
            except (PermissionError, FileNotFoundError, NotADirectoryError):
                continue
            for child in children:
                try:
                    info = child.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                image = image_folder + child.name
                yield Entry(image, child.path, info)
                if stat.S_ISDIR(info.st_mode) and (not one_file_system or info.st_dev == device):
                    stack.append((child.path, image + "/"))

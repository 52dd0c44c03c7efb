"""Paths, files and accounts of the steps' target, shared by the file, download and system modules.

Every path from a step's inputs is a path of the target (this host, or an image root). It is
turned into a host path only by `ctx.executor.resolve`, which confines it to the image root.
Recursive work below a resolved folder never follows symlinks and never leaves its file system,
so neither a hostile link nor a bind-mounted /dev or /proc inside an image reaches the host.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator

from imagewright.errors import ImagewrightError, UnsafePathError
from imagewright.paths import ImageRoot
from imagewright.toe.actions import StepContext, StepFailed

ModelT = TypeVar("ModelT", bound=BaseModel)

# AWSTOE's encoding names (case-insensitive); bare utf16/utf32 are little-endian. No byte-order
# mark is written; one found when reading is dropped.
CODECS = {
    "utf8": "utf-8",
    "utf-8": "utf-8",
    "utf16": "utf-16-le",
    "utf-16": "utf-16-le",
    "utf16-le": "utf-16-le",
    "utf-16-le": "utf-16-le",
    "utf16-be": "utf-16-be",
    "utf-16-be": "utf-16-be",
    "utf32": "utf-32-le",
    "utf-32": "utf-32-le",
    "utf32-le": "utf-32-le",
    "utf-32-le": "utf-32-le",
    "utf32-be": "utf-32-be",
    "utf-32-be": "utf-32-be",
}
BOMS = {
    "utf-8": b"\xef\xbb\xbf",
    "utf-16-le": b"\xff\xfe",
    "utf-16-be": b"\xfe\xff",
    "utf-32-le": b"\xff\xfe\x00\x00",
    "utf-32-be": b"\x00\x00\xfe\xff",
}
MODE = re.compile(r"^[0-7]{3,4}$")


def _text(value: Any) -> Any:
    """YAML scalars written without quotes (owner: 1000, content: 42, permissions: 755)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return value


def _check_encoding(value: str) -> str:
    if value.lower() not in CODECS:
        raise ValueError(f"unknown encoding '{value}'; expected one of: {', '.join(CODECS)}")
    return value


def _check_mode(value: str) -> str:
    if not MODE.match(value):
        raise ValueError(f"permissions '{value}' are not octal digits like '0755' or '644'")
    return value


Text = Annotated[str, BeforeValidator(_text)]
Encoding = Annotated[str, BeforeValidator(_text), AfterValidator(_check_encoding)]
Permissions = Annotated[str, BeforeValidator(_text), AfterValidator(_check_mode)]


def items(inputs: ModelT | Sequence[ModelT]) -> list[ModelT]:
    """The items of list-shaped inputs (one model is taken as a one-item list)."""
    return [inputs] if isinstance(inputs, BaseModel) else list(inputs)


def codec(encoding: str) -> str:
    return CODECS[encoding.lower()]


def encode(text: str, encoding: str) -> bytes:
    return text.encode(codec(encoding))


def decode(data: bytes, encoding: str, path: str) -> str:
    name = codec(encoding)
    data = data.removeprefix(BOMS[name])
    try:
        return data.decode(name)
    except UnicodeDecodeError as e:
        raise StepFailed(f"{path} is not {encoding} text ({e.reason} at byte {e.start})") from e


def mode_of(permissions: str) -> int:
    return int(permissions, 8)


def umask() -> int:
    with Path("/proc/self/status").open() as status:
        for line in status:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    return 0o022


@contextlib.contextmanager
def failing(what: str) -> Iterator[None]:
    """Turn an operating-system or confinement error into a step failure that says what failed."""
    try:
        yield
    except StepFailed:
        raise
    except ImagewrightError as e:
        raise StepFailed(f"{what}: {e.message}") from e
    except OSError as e:
        reason = e.strerror or str(e)
        raise StepFailed(f"{what}: {reason}") from e


def wildcard(pattern: str) -> re.Pattern[str]:
    """A file name pattern where only `*` is special (any characters, dot files included)."""
    return re.compile("^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$")


def is_folder_path(path: str) -> bool:
    """A destination that ends with a separator names a folder."""
    return path.endswith(("/", "\\"))


def join(folder: str, name: str) -> str:
    return folder.rstrip("/") + "/" + name if folder.rstrip("/") else "/" + name


def basename(path: str) -> str:
    return posixpath.basename(path.rstrip("/"))


@dataclass(frozen=True, slots=True)
class Walked:
    """One object below a folder: its target path, its path relative to the folder, its lstat."""

    path: str
    relative: str
    host: Path
    stat: os.stat_result


class Target:
    """The target of a step as seen by the file modules."""

    def __init__(self, ctx: StepContext) -> None:
        self.executor = ctx.executor
        self._accounts: dict[str, dict[str, tuple[int, int]]] = {}

    def path(self, path: str, *, follow: bool = True) -> Path:
        """Host path of a target path; with follow=False a final symlink is the link itself."""
        if not path:
            raise StepFailed("an empty path was given")
        trimmed = path.rstrip("/") or "/"
        parent, name = posixpath.split(trimmed)
        if follow or name in ("", ".", ".."):
            return self.executor.resolve(trimmed)
        return self.executor.resolve(parent or ".") / name

    def lstat(self, path: str) -> os.stat_result | None:
        try:
            return self.path(path, follow=False).lstat()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def stat(self, path: str) -> os.stat_result | None:
        try:
            return self.path(path).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None

    def expand(self, pattern: str) -> list[str]:
        """Target paths matching `*` in the last segment (sorted; dot files match too, as in
        Go's filepath.Match). A pattern without `*` is returned as is."""
        parent, name = posixpath.split(pattern)
        if "*" in parent:
            raise StepFailed(f"{pattern}: a wildcard is allowed only in the last path segment")
        if "*" not in name:
            return [pattern]
        regex = wildcard(name)
        try:
            names = sorted(child.name for child in self.path(parent or ".").iterdir())
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [join(parent, n) if parent else n for n in names if regex.match(n)]

    def walk(self, folder: str) -> Iterator[Walked]:
        """Every object below folder (not the folder itself), parents before children, without
        following symlinks or entering another file system."""
        top = self.path(folder)
        try:
            root = ImageRoot(top)
        except UnsafePathError as e:
            raise StepFailed(f"refusing to work recursively over {folder}: it is /") from e
        device = top.stat().st_dev
        for entry in root.walk("/"):
            relative = str(entry.path).lstrip("/")
            if relative and entry.stat.st_dev == device:
                yield Walked(join(folder, relative), relative, entry.host, entry.stat)

    def make_folders(self, folder: str, mode: int = 0o777) -> Path:
        """Create folder and its missing parents inside the target (umask applies)."""
        host = self.path(folder)
        with failing(f"cannot create folder {folder}"):
            host.mkdir(mode=mode, parents=True, exist_ok=True)
            if not host.is_dir():
                raise StepFailed(f"cannot create folder {folder}: a file is in the way")
        return host

    def make_parent(self, path: str) -> None:
        parent = posixpath.dirname(path.rstrip("/"))
        if parent:
            self.make_folders(parent)

    # Accounts are the target's own: /etc/passwd and /etc/group read through the resolver.
    def _table(self, file: str) -> dict[str, tuple[int, int]]:
        if file not in self._accounts:
            table: dict[str, tuple[int, int]] = {}
            with contextlib.suppress(FileNotFoundError, NotADirectoryError):
                for line in self.path(file).read_text(errors="replace").splitlines():
                    fields = line.split(":")
                    if len(fields) >= 4 and fields[2].isdigit() and fields[3].isdigit():
                        table.setdefault(fields[0], (int(fields[2]), int(fields[3])))
                    elif len(fields) >= 3 and fields[2].isdigit():
                        table.setdefault(fields[0], (int(fields[2]), -1))
            self._accounts[file] = table
        return self._accounts[file]

    def uid(self, owner: str) -> int:
        if owner.isdigit():
            return int(owner)
        try:
            return self._table("/etc/passwd")[owner][0]
        except KeyError:
            raise StepFailed(f"user '{owner}' does not exist in the target's /etc/passwd") from None

    def gid(self, group: str) -> int:
        if group.isdigit():
            return int(group)
        try:
            return self._table("/etc/group")[group][0]
        except KeyError:
            raise StepFailed(f"group '{group}' does not exist in the target's /etc/group") from None

    def primary_gid(self, owner: str) -> int:
        """The user's own group (from /etc/passwd); a numeric owner keeps the file's group."""
        if owner.isdigit():
            return -1
        self.uid(owner)
        return self._table("/etc/passwd")[owner][1]


# Host paths come from the resolver, which has chased every symlink inside the image root, so
# opening them follows nothing; on the host itself following links is what awstoe does.


def read_regular(host: Path, path: str) -> bytes:
    """Content of a regular file (never blocks on a fifo or a device)."""
    with failing(f"cannot read {path}"):
        fd = os.open(host, os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise StepFailed(f"cannot read {path}: not a regular file")
            return handle.read()


def write_regular(host: Path, data: bytes, mode: int = 0o666, *, truncate: bool = True) -> None:
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if truncate else os.O_APPEND)
    with os.fdopen(os.open(host, flags, mode), "wb") as handle:
        handle.write(data)


def copy_regular(source: Path, destination: Path, mode: int) -> None:
    """Copy a regular file's content and permission bits (not its owner)."""
    with source.open("rb") as reader:
        out = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, stat.S_IMODE(mode))
        with os.fdopen(out, "wb") as writer:
            while chunk := reader.read(1 << 20):
                writer.write(chunk)
            os.fchmod(writer.fileno(), stat.S_IMODE(mode))

"""AWSTOE's file-system modules (all list-shaped): create, copy, move, delete, list, read, encode,
own and permit files and folders on the target.

Where AWSTOE's documentation is silent we chose, and docs/toe-actions.md says so:
- a copy/move destination without a trailing `/` that is an existing folder receives the file
  (as `cp`/`mv` do); for folder modules the destination without `/` is the new folder itself;
- CopyFolder/MoveFolder onto an existing folder with overwrite merge: same names are replaced,
  other content stays;
- CreateFolder with overwrite on an existing folder keeps its content (nothing is emptied);
- DeleteFile/DeleteFolder of a path that does not exist succeed (nothing to delete);
- a wildcard `*` also matches names that start with a dot (Go's filepath.Match);
- recursive work never follows symlinks and stays on the folder's file system;
- create modules apply the umask to the permissions (given or default), Set*Permissions do not.
"""

from __future__ import annotations

import errno
import os
import posixpath
import shutil
import stat
from collections.abc import Sequence
from pathlib import Path

from pydantic import Field

from imagewright.config.yamlload import StrictModel
from imagewright.mounts import mounts_below
from imagewright.toe.actions import InputShape, Outputs, Platform, StepContext, StepFailed, action
from imagewright.toe.actions._target import (
    Encoding,
    Permissions,
    Target,
    Text,
    basename,
    copy_regular,
    decode,
    encode,
    failing,
    is_folder_path,
    items,
    join,
    mode_of,
    read_regular,
    umask,
    wildcard,
    write_regular,
)

POSIX = frozenset({Platform.linux, Platform.macos})
EVERYWHERE = frozenset({Platform.linux, Platform.windows, Platform.macos})


# --- input models (AWSTOE's exact field names) ------------------------------------------------


class AppendFileInput(StrictModel):
    path: Text
    content: Text = ""
    encoding: Encoding = "utf8"


class TransferInput(StrictModel):
    source: Text
    destination: Text
    overwrite: bool = True


class CreateFileInput(StrictModel):
    path: Text
    content: Text | None = None
    encoding: Encoding = "utf8"
    owner: Text | None = None
    group: Text | None = None
    permissions: Permissions | None = None
    overwrite: bool = True


class CreateFolderInput(StrictModel):
    path: Text
    owner: Text | None = None
    group: Text | None = None
    permissions: Permissions | None = None
    overwrite: bool = True


class CreateSymlinkInput(StrictModel):
    path: Text
    target: Text
    force: bool = False


class PathInput(StrictModel):
    path: Text


class DeleteFolderInput(StrictModel):
    path: Text
    force: bool = False


class ListFilesInput(StrictModel):
    path: Text
    file_name_pattern: Text | None = Field(default=None, alias="fileNamePattern")
    recursive: bool = False


class ReadFileInput(StrictModel):
    path: Text
    encoding: Encoding = "utf8"
    print_file_content: bool = Field(default=False, alias="printFileContent")


class SetFileEncodingInput(StrictModel):
    path: Text
    encoding: Encoding = "utf8"


class SetFileOwnerInput(StrictModel):
    path: Text
    owner: Text
    group: Text | None = None


class SetFolderOwnerInput(SetFileOwnerInput):
    recursive: bool = True


class SetFilePermissionsInput(StrictModel):
    path: Text
    permissions: Permissions


class SetFolderPermissionsInput(SetFilePermissionsInput):
    recursive: bool = True


# --- shared steps ------------------------------------------------------------------------------


def _kind(info: os.stat_result | None) -> str:
    if info is None:
        return "nothing"
    if stat.S_ISDIR(info.st_mode):
        return "a folder"
    if stat.S_ISLNK(info.st_mode):
        return "a symlink"
    return "a file"


def _require(target: Target, path: str, doing: str, *, folder: bool = False) -> None:
    """Fail unless path is an existing regular file (or folder), symlinks followed."""
    info = target.stat(path)
    if info is None or not (stat.S_ISDIR if folder else stat.S_ISREG)(info.st_mode):
        wanted = "folder" if folder else "file"
        raise StepFailed(f"cannot {doing} {path}: it is {_kind(info)}, not a {wanted}")


def _sources(target: Target, source: str, *, folders: bool) -> list[str]:
    """The source paths of a copy or move: one path, or the matches of a wildcard."""
    wanted = "folder" if folders else "file"
    matches = target.expand(source)  # refuses a wildcard before the last segment
    if "*" in posixpath.basename(source):
        chosen = [p for p in matches if _is_folder(target, p) == folders]
        if not chosen:
            raise StepFailed(f"no {wanted} matches {source}")
        return chosen
    info = target.stat(source)
    if info is None:
        raise StepFailed(f"source {source} does not exist")
    if stat.S_ISDIR(info.st_mode) != folders:
        raise StepFailed(f"source {source} is {_kind(info)}, not a {wanted}")
    return [source]


def _is_folder(target: Target, path: str) -> bool:
    info = target.stat(path)
    return info is not None and stat.S_ISDIR(info.st_mode)


def _destinations(
    target: Target, sources: list[str], destination: str, *, folders: bool
) -> list[tuple[str, str]]:
    into_folder = is_folder_path(destination) or (not folders and _is_folder(target, destination))
    if len(sources) > 1 and not into_folder:
        raise StepFailed(
            f"{len(sources)} sources match; the destination {destination} must end with '/' "
            "to name a folder"
        )
    if into_folder:
        return [(s, join(destination, basename(s))) for s in sources]
    return [(sources[0], destination.rstrip("/") or "/")]


def _rename(target: Target, source: str, destination: str, *, folder: bool) -> None:
    source_host = target.path(source, follow=False)
    destination_host = target.path(destination, follow=False)
    try:
        source_host.rename(destination_host)
        return
    except OSError as e:
        if e.errno != errno.EXDEV:  # another file system: copy, then delete
            raise
    if folder:
        _copy_tree(target, source, destination)
        _remove_tree(target, source)
        return
    info = source_host.lstat()
    if stat.S_ISLNK(info.st_mode):
        destination_host.unlink(missing_ok=True)
        destination_host.symlink_to(source_host.readlink())
    else:
        copy_regular(source_host, destination_host, info.st_mode)
    source_host.unlink()


def _transfer(
    ctx: StepContext, inputs: Sequence[TransferInput], *, folders: bool, move: bool
) -> Outputs:
    """CopyFile, CopyFolder, MoveFile and MoveFolder: one source or every wildcard match."""
    verb, done = ("move", "moved") if move else ("copy", "copied")
    target = Target(ctx)
    for item in items(inputs):
        sources = _sources(target, item.source, folders=folders)
        for source, destination in _destinations(
            target, sources, item.destination, folders=folders
        ):
            # A move replaces a link at the destination (as mv does); a copy writes through it.
            existing = target.lstat(destination) if move else target.stat(destination)
            if existing is not None:
                if not item.overwrite:
                    raise StepFailed(f"{destination} already exists and overwrite is false")
                if stat.S_ISDIR(existing.st_mode) != folders:
                    raise StepFailed(f"cannot {verb} to {destination}: it is {_kind(existing)}")
            source_host = target.path(source, follow=not move)
            if folders and target.path(destination).is_relative_to(source_host):
                raise StepFailed(f"cannot {verb} the folder {source} inside itself ({destination})")
            if existing is not None and source_host.samefile(target.path(destination)):
                raise StepFailed(f"cannot {verb} {source} to {destination}: it is the same file")
            target.make_parent(destination)
            with failing(f"cannot {verb} {source} to {destination}"):
                if folders and (existing is not None or not move):  # copy, or merge a move
                    _copy_tree(target, source, destination)
                    if move:
                        _remove_tree(target, source)
                elif move:
                    _rename(target, source, destination, folder=folders)
                else:
                    copy_regular(source_host, target.path(destination), source_host.stat().st_mode)
            ctx.console(f"{done} {source} to {destination}")
    return {}


def _copy_tree(target: Target, source: str, destination: str) -> None:
    """Merge the folder source into destination: folders made, files replaced, links re-made."""
    top = target.make_folders(destination)
    top.chmod(stat.S_IMODE(target.path(source).stat().st_mode))
    folders = {"": top}  # host folder of every destination folder made so far
    for entry in target.walk(source):
        into = join(destination, entry.relative)
        parent, name = posixpath.split(entry.relative)
        mode = entry.stat.st_mode
        host = folders[parent] / name  # the parents are resolved already: no walk from the root
        replace = stat.S_ISLNK(mode) or not (stat.S_ISDIR(mode) or stat.S_ISREG(mode))
        if host.is_symlink() and not replace:
            host = target.path(into)  # an existing link is followed inside the target, as cp does
        with failing(f"cannot copy {entry.path} to {into}"):
            if stat.S_ISDIR(mode):
                host.mkdir(exist_ok=True)
                if not host.is_dir():
                    raise StepFailed(f"cannot copy to {into}: a file is in the way")
                host.chmod(stat.S_IMODE(mode))
                folders[entry.relative] = host
            elif stat.S_ISREG(mode):
                if host.is_dir():
                    raise StepFailed(f"cannot write {into}: a folder with that name exists")
                copy_regular(entry.host, host, mode)
            else:
                if host.is_symlink() or host.is_file():
                    host.unlink()
                if stat.S_ISLNK(mode):
                    host.symlink_to(entry.host.readlink())
                else:
                    os.mknod(host, mode, entry.stat.st_rdev)


def _remove_tree(target: Target, path: str) -> None:
    host = target.path(path, follow=False)
    if host == target.path("/"):
        raise StepFailed(f"refusing to delete {path}: it is the root of the target")
    mounted = mounts_below(host)
    if mounted:
        raise StepFailed(
            f"refusing to delete {path}: file systems are mounted below it "
            f"({', '.join(str(m) for m in mounted)})"
        )
    with failing(f"cannot delete folder {path}"):
        shutil.rmtree(host)


def _apply_owner(target: Target, host: Path, owner: str | None, group: str | None) -> None:
    uid = target.uid(owner) if owner else -1
    gid = target.gid(group) if group else -1
    if uid != -1 or gid != -1:
        os.chown(host, uid, gid, follow_symlinks=False)


# --- modules -----------------------------------------------------------------------------------


@action("AppendFile", platforms=EVERYWHERE, shape=InputShape.list, inputs=AppendFileInput)
def append_file(ctx: StepContext, inputs: Sequence[AppendFileInput]) -> Outputs:
    """Append text to an existing file."""
    target = Target(ctx)
    for item in items(inputs):
        _require(target, item.path, "append to")
        with failing(f"cannot append to {item.path}"):
            write_regular(
                target.path(item.path), encode(item.content, item.encoding), truncate=False
            )
    return {}


@action("CopyFile", platforms=EVERYWHERE, shape=InputShape.list, inputs=TransferInput)
def copy_file(ctx: StepContext, inputs: Sequence[TransferInput]) -> Outputs:
    """Copy files (a `*` in the source name copies every match) to a file or folder."""
    return _transfer(ctx, inputs, folders=False, move=False)


@action("CopyFolder", platforms=EVERYWHERE, shape=InputShape.list, inputs=TransferInput)
def copy_folder(ctx: StepContext, inputs: Sequence[TransferInput]) -> Outputs:
    """Copy folders and their content (a `*` in the source name copies every match)."""
    return _transfer(ctx, inputs, folders=True, move=False)


@action("CreateFile", platforms=EVERYWHERE, shape=InputShape.list, inputs=CreateFileInput)
def create_file(ctx: StepContext, inputs: Sequence[CreateFileInput]) -> Outputs:
    """Create a file (parents included), or truncate it, with optional content, owner and mode."""
    target = Target(ctx)
    for item in items(inputs):
        info = target.stat(item.path)
        if info is not None and stat.S_ISDIR(info.st_mode):
            raise StepFailed(f"cannot create file {item.path}: a folder with that name exists")
        if info is not None and not item.overwrite:
            raise StepFailed(f"{item.path} already exists and overwrite is false")
        target.make_parent(item.path)
        host = target.path(item.path)
        data = encode(item.content or "", item.encoding)
        with failing(f"cannot create file {item.path}"):
            write_regular(host, data)
            if item.permissions is not None:
                host.chmod(mode_of(item.permissions) & ~umask())
            _apply_owner(target, host, item.owner, item.group)
    return {}


@action("CreateFolder", platforms=EVERYWHERE, shape=InputShape.list, inputs=CreateFolderInput)
def create_folder(ctx: StepContext, inputs: Sequence[CreateFolderInput]) -> Outputs:
    """Create a folder (parents included) with optional owner, group and mode."""
    target = Target(ctx)
    for item in items(inputs):
        info = target.stat(item.path)
        if info is not None and not stat.S_ISDIR(info.st_mode):
            raise StepFailed(f"cannot create folder {item.path}: it is {_kind(info)}")
        if info is not None and not item.overwrite:
            raise StepFailed(f"{item.path} already exists and overwrite is false")
        host = target.make_folders(item.path)
        with failing(f"cannot set up folder {item.path}"):
            if item.permissions is not None:
                host.chmod(mode_of(item.permissions) & ~umask())
            _apply_owner(target, host, item.owner, item.group)
    return {}


@action("CreateSymlink", platforms=POSIX, shape=InputShape.list, inputs=CreateSymlinkInput)
def create_symlink(ctx: StepContext, inputs: Sequence[CreateSymlinkInput]) -> Outputs:
    """Create a symbolic link at path pointing to an existing target."""
    target = Target(ctx)
    for item in items(inputs):
        # A relative target is checked where the link will point: from the link's folder.
        pointed = posixpath.join(posixpath.dirname(item.path.rstrip("/")), item.target)
        if target.stat(pointed) is None:
            raise StepFailed(f"cannot link {item.path}: the target {item.target} does not exist")
        existing = target.lstat(item.path)
        if existing is not None:
            if not stat.S_ISLNK(existing.st_mode):
                raise StepFailed(f"cannot link {item.path}: it is {_kind(existing)}, not a link")
            if not item.force:
                raise StepFailed(f"the link {item.path} already exists and force is false")
        target.make_parent(item.path)
        host = target.path(item.path, follow=False)
        with failing(f"cannot create link {item.path}"):
            if existing is not None:
                host.unlink()
            host.symlink_to(item.target)
    return {}


@action("DeleteFile", platforms=EVERYWHERE, shape=InputShape.list, inputs=PathInput)
def delete_file(ctx: StepContext, inputs: Sequence[PathInput]) -> Outputs:
    """Delete files (a `*` in the file name deletes every matching file); links, not targets."""
    target = Target(ctx)
    for item in items(inputs):
        wildcard = "*" in posixpath.basename(item.path)
        for path in target.expand(item.path):
            info = target.lstat(path)
            if info is None:
                ctx.console(f"{path} does not exist; nothing to delete")
                continue
            if stat.S_ISDIR(info.st_mode):
                if wildcard:
                    continue
                raise StepFailed(f"cannot delete {path}: it is a folder (use DeleteFolder)")
            with failing(f"cannot delete {path}"):
                target.path(path, follow=False).unlink()
            ctx.console(f"deleted {path}")
    return {}


@action("DeleteFolder", platforms=EVERYWHERE, shape=InputShape.list, inputs=DeleteFolderInput)
def delete_folder(ctx: StepContext, inputs: Sequence[DeleteFolderInput]) -> Outputs:
    """Delete a folder; a folder that is not empty needs force (a link is removed, not followed)."""
    target = Target(ctx)
    for item in items(inputs):
        info = target.lstat(item.path)
        if info is None:
            ctx.console(f"{item.path} does not exist; nothing to delete")
            continue
        host = target.path(item.path, follow=False)
        if stat.S_ISLNK(info.st_mode):
            with failing(f"cannot delete {item.path}"):
                host.unlink()
        elif not stat.S_ISDIR(info.st_mode):
            raise StepFailed(f"cannot delete {item.path}: it is a file (use DeleteFile)")
        elif any(host.iterdir()) and not item.force:
            raise StepFailed(
                f"cannot delete {item.path}: the folder is not empty and force is false"
            )
        else:
            _remove_tree(target, item.path)
        ctx.console(f"deleted {item.path}")
    return {}


@action(
    "ListFiles",
    platforms=EVERYWHERE,
    shape=InputShape.list,
    inputs=ListFilesInput,
    outputs=("files",),
)
def list_files(ctx: StepContext, inputs: Sequence[ListFilesInput]) -> Outputs:
    """List the files of a folder (optionally recursively and by a `*` name pattern)."""
    target = Target(ctx)
    found: list[str] = []
    for item in items(inputs):
        _require(target, item.path, "list", folder=True)
        pattern = item.file_name_pattern or "*"
        if item.recursive:
            matches = wildcard(pattern)
            found += [
                entry.path
                for entry in target.walk(item.path)
                if not stat.S_ISDIR(entry.stat.st_mode)
                and matches.match(posixpath.basename(entry.relative))
            ]
        else:
            found += [
                path
                for path in target.expand(join(item.path, pattern))
                if _kind(target.lstat(path)) in ("a file", "a symlink")
            ]
    return {"files": ",".join(sorted(found))}


@action("MoveFile", platforms=EVERYWHERE, shape=InputShape.list, inputs=TransferInput)
def move_file(ctx: StepContext, inputs: Sequence[TransferInput]) -> Outputs:
    """Move files (a `*` in the source name moves every match) to a file or folder."""
    return _transfer(ctx, inputs, folders=False, move=True)


@action("MoveFolder", platforms=EVERYWHERE, shape=InputShape.list, inputs=TransferInput)
def move_folder(ctx: StepContext, inputs: Sequence[TransferInput]) -> Outputs:
    """Move folders (a `*` in the source name moves every match); onto a folder, merge."""
    return _transfer(ctx, inputs, folders=True, move=True)


@action(
    "ReadFile",
    platforms=EVERYWHERE,
    shape=InputShape.list,
    inputs=ReadFileInput,
    outputs=("content",),
)
def read_file(ctx: StepContext, inputs: Sequence[ReadFileInput]) -> Outputs:
    """Read a text file (symlinks followed) into the `content` output."""
    target = Target(ctx)
    contents: list[str] = []
    for item in items(inputs):
        _require(target, item.path, "read")
        # The content is kept exactly, final newline included.
        text = decode(read_regular(target.path(item.path), item.path), item.encoding, item.path)
        if item.print_file_content:
            for line in text.splitlines():
                ctx.console(line)
        contents.append(text)
    return {"content": "\n".join(contents)}


@action("SetFileEncoding", platforms=EVERYWHERE, shape=InputShape.list, inputs=SetFileEncodingInput)
def set_file_encoding(ctx: StepContext, inputs: Sequence[SetFileEncodingInput]) -> Outputs:
    """Convert a UTF-8 text file to another encoding in place."""
    target = Target(ctx)
    for item in items(inputs):
        _require(target, item.path, "convert")
        host = target.path(item.path)
        text = decode(read_regular(host, item.path), "utf8", item.path)
        with failing(f"cannot write {item.path}"):
            write_regular(host, encode(text, item.encoding))
    return {}


def _owned(target: Target, item: SetFileOwnerInput) -> tuple[int, int]:
    uid = target.uid(item.owner)
    gid = target.gid(item.group) if item.group else target.primary_gid(item.owner)
    return uid, gid


@action("SetFileOwner", platforms=POSIX, shape=InputShape.list, inputs=SetFileOwnerInput)
def set_file_owner(ctx: StepContext, inputs: Sequence[SetFileOwnerInput]) -> Outputs:
    """Change a file's owner and group (a symlink's target is changed)."""
    target = Target(ctx)
    for item in items(inputs):
        uid, gid = _owned(target, item)
        if target.stat(item.path) is None:
            raise StepFailed(f"cannot change the owner of {item.path}: it does not exist")
        with failing(f"cannot change the owner of {item.path}"):
            os.chown(target.path(item.path), uid, gid)
    return {}


@action("SetFolderOwner", platforms=POSIX, shape=InputShape.list, inputs=SetFolderOwnerInput)
def set_folder_owner(ctx: StepContext, inputs: Sequence[SetFolderOwnerInput]) -> Outputs:
    """Change a folder's owner and group, with its content unless recursive is false."""
    target = Target(ctx)
    for item in items(inputs):
        uid, gid = _owned(target, item)
        _require(target, item.path, "change the owner of", folder=True)
        with failing(f"cannot change the owner of {item.path}"):
            os.chown(target.path(item.path), uid, gid)
            if item.recursive:
                for entry in target.walk(item.path):
                    os.chown(entry.host, uid, gid, follow_symlinks=False)
    return {}


@action(
    "SetFilePermissions", platforms=POSIX, shape=InputShape.list, inputs=SetFilePermissionsInput
)
def set_file_permissions(ctx: StepContext, inputs: Sequence[SetFilePermissionsInput]) -> Outputs:
    """Set a file's permissions exactly (no umask)."""
    target = Target(ctx)
    for item in items(inputs):
        if target.stat(item.path) is None:
            raise StepFailed(f"cannot change the permissions of {item.path}: it does not exist")
        with failing(f"cannot change the permissions of {item.path}"):
            target.path(item.path).chmod(mode_of(item.permissions))
    return {}


@action(
    "SetFolderPermissions", platforms=POSIX, shape=InputShape.list, inputs=SetFolderPermissionsInput
)
def set_folder_permissions(
    ctx: StepContext, inputs: Sequence[SetFolderPermissionsInput]
) -> Outputs:
    """Set a folder's permissions, and its content's unless recursive is false (links skipped)."""
    target = Target(ctx)
    for item in items(inputs):
        _require(target, item.path, "change the permissions of", folder=True)
        mode = mode_of(item.permissions)
        with failing(f"cannot change the permissions of {item.path}"):
            target.path(item.path).chmod(mode)
            if item.recursive:
                for entry in target.walk(item.path):
                    if not stat.S_ISLNK(entry.stat.st_mode):
                        entry.host.chmod(mode)
    return {}

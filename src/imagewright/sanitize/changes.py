"""The change recorder: every mutation of an image goes through `Changes`.

The same calls plan (dry run) or perform the change, and record per path what happened, so the
dry-run listing and the JSON report come from the code that deletes.
"""

from __future__ import annotations

import enum
import os
import stat
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from imagewright.errors import ImagewrightError
from imagewright.paths import ImageRoot
from imagewright.sanitize.shred import Outcome, Shredder, Target, kind_of

LineSink = Callable[[str], None]


class Action(enum.StrEnum):
    remove = "remove"  # shredded and unlinked (folders: emptied and removed)
    truncate = "truncate"  # content shredded, the empty file kept
    write = "write"  # content shredded, then replaced


class Status(enum.StrEnum):
    done = "done"
    planned = "planned"  # dry run
    skipped = "skipped"
    failed = "failed"


@dataclass(slots=True)
class PathChange:
    path: str
    action: Action
    status: Status
    kind: str  # file | symlink | fifo | socket | device | directory
    bytes_overwritten: int = 0
    reason: str | None = None


def _kind(path: Path) -> str | None:
    try:
        return kind_of(path.lstat().st_mode)
    except (FileNotFoundError, NotADirectoryError):
        return None


class Changes:
    """Plans or performs removals inside one image and records each path's outcome."""

    def __init__(
        self,
        image: ImageRoot,
        *,
        shredder: Shredder,
        dry_run: bool = False,
        on_line: LineSink | None = None,
    ) -> None:
        self.image = image
        self.shredder = shredder
        self.dry_run = dry_run
        self.on_line = on_line
        self.records: list[PathChange] = []

    def take_records(self) -> list[PathChange]:
        records, self.records = self.records, []
        return records

    def announce(self, label: str) -> None:
        """The seed script's progress line, printed whether or not anything matches."""
        if self.on_line is not None:
            self.on_line(f"Deleting {label}")

    def _locate(self, path: PurePosixPath | str) -> tuple[PurePosixPath, Path] | None:
        image_path = PurePosixPath("/", path)
        try:
            host = self.image.resolve(image_path, follow_final=False)
        except ImagewrightError as e:
            self._record(image_path, Action.remove, Status.failed, "symlink", reason=e.message)
            return None
        return image_path, host

    def _record(
        self,
        path: PurePosixPath | str,
        action: Action,
        status: Status,
        kind: str,
        *,
        bytes_overwritten: int = 0,
        reason: str | None = None,
    ) -> None:
        self.records.append(PathChange(str(path), action, status, kind, bytes_overwritten, reason))
        if self.dry_run and self.on_line is not None and status is Status.planned:
            self.on_line(f"  would {action.value} {path} ({kind})")

    def remove(self, path: PurePosixPath | str) -> None:
        """Shred and unlink whatever is at path (a folder: everything below it, then itself)."""
        located = self._locate(path)
        if located is None:
            return
        image_path, host = located
        kind = _kind(host)
        if kind is None:
            return
        if kind == "directory":
            self._remove_tree(host, image_path, keep_top=False)
        else:
            self._shred([Target(host.parent, host.name, str(image_path))], Action.remove)

    def remove_contents(self, folder: PurePosixPath | str, *, keep: Collection[str] = ()) -> None:
        """Shred everything inside folder (dotfiles included) but the names in keep; the folder
        itself stays."""
        located = self._locate(folder)
        if located is None:
            return
        image_path, host = located
        if _kind(host) == "directory":
            self._remove_tree(host, image_path, keep_top=True, keep_names=frozenset(keep))
        elif _kind(host) is not None:
            self.remove(image_path)

    def truncate(self, path: PurePosixPath | str) -> None:
        """Shred the content of a regular file and leave it empty (same inode and mode)."""
        located = self._locate(path)
        if located is None:
            return
        image_path, host = located
        kind = _kind(host)
        if kind is None:
            return
        if kind != "file":
            self._record(image_path, Action.truncate, Status.skipped, kind, reason="not a file")
            return
        if host.lstat().st_size == 0:
            return
        self._shred([Target(host.parent, host.name, str(image_path), keep=True)], Action.truncate)

    def write(self, path: PurePosixPath | str, data: bytes, *, mode: int = 0o644) -> None:
        """Make path a regular file holding data; old content is shredded first."""
        located = self._locate(path)
        if located is None:
            return
        image_path, host = located
        kind = _kind(host)
        if kind == "file" and self.image.read_bytes(image_path) == data:
            if stat.S_IMODE(host.lstat().st_mode) != mode and not self.dry_run:
                host.chmod(mode)
            return
        if self.dry_run:
            self._record(image_path, Action.write, Status.planned, kind or "file")
            return
        overwritten = 0
        if kind == "file":
            target = Target(host.parent, host.name, str(image_path), keep=True)
            (outcome,) = self.shredder.shred([target])
            if outcome.error:
                self._record(image_path, Action.write, Status.failed, "file", reason=outcome.error)
                return
            overwritten = outcome.bytes_overwritten
        elif kind is not None:
            self.remove(image_path)
        try:
            self.image.write_bytes(image_path, data, mode=mode)
            host.chmod(mode)
        except OSError as e:
            self._record(image_path, Action.write, Status.failed, "file", reason=e.strerror)
            return
        self._record(image_path, Action.write, Status.done, "file", bytes_overwritten=overwritten)

    def _shred(self, targets: list[Target], action: Action) -> None:
        if self.dry_run:
            for target in targets:
                info = (target.folder / target.name).lstat()
                self._record(
                    target.label,
                    action,
                    Status.planned,
                    kind_of(info.st_mode),
                    bytes_overwritten=info.st_size if stat.S_ISREG(info.st_mode) else 0,
                )
            return
        for outcome in self.shredder.shred(targets):
            self._record_outcome(outcome, action)

    def _record_outcome(self, outcome: Outcome, action: Action) -> None:
        if outcome.kind == "missing":
            return
        reason: str | None
        if outcome.error:
            status, reason = Status.failed, outcome.error
        elif outcome.target.keep and outcome.kind != "file":
            status, reason = Status.skipped, outcome.note
        else:
            status, reason = Status.done, outcome.note
        self._record(
            outcome.target.label,
            action,
            status,
            outcome.kind,
            bytes_overwritten=outcome.bytes_overwritten,
            reason=reason,
        )

    def _remove_tree(
        self,
        host: Path,
        image_path: PurePosixPath,
        *,
        keep_top: bool,
        keep_names: frozenset[str] = frozenset(),
    ) -> None:
        device = host.lstat().st_dev
        files: list[Target] = []
        folders: list[tuple[Path, PurePosixPath]] = []  # deepest last
        blocked: set[Path] = set()
        pending = [(host, image_path)]
        while pending:
            folder, folder_path = pending.pop()
            folders.append((folder, folder_path))
            try:
                with os.scandir(folder) as entries:
                    children = sorted(entries, key=lambda e: e.name)
            except OSError as e:
                self._record(folder_path, Action.remove, Status.failed, "directory", reason=str(e))
                blocked.add(folder)
                continue
            for child in children:
                if folder == host and child.name in keep_names:
                    continue
                child_path = folder_path / child.name
                try:
                    info = child.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                if stat.S_ISDIR(info.st_mode):
                    if info.st_dev != device:
                        self._record(
                            child_path,
                            Action.remove,
                            Status.skipped,
                            "directory",
                            reason="another file system is mounted here",
                        )
                        blocked.update(Path(child.path).parents)
                        continue
                    pending.append((Path(child.path), child_path))
                else:
                    files.append(Target(folder, child.name, str(child_path)))
        self._shred(files, Action.remove)
        failed = {Path(r.path) for r in self.records if r.status is Status.failed}
        for folder, folder_path in reversed(folders):
            if keep_top and folder == host:
                continue
            if folder in blocked or any(Path(str(folder_path)) in f.parents for f in failed):
                continue
            if self.dry_run:
                self._record(folder_path, Action.remove, Status.planned, "directory")
                continue
            try:
                folder.rmdir()
            except OSError as e:
                self._record(
                    folder_path, Action.remove, Status.failed, "directory", reason=e.strerror
                )
                continue
            self._record(folder_path, Action.remove, Status.done, "directory")

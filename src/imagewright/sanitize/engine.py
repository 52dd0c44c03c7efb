"""Running the selected operations over an image root and proving the result."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from imagewright.errors import BadTargetError, ImagewrightError, Interrupted, OperationsFailed
from imagewright.paths import ImageRoot
from imagewright.sanitize import SEED, Operation, Profile, SanitizeContext, select
from imagewright.sanitize.changes import Changes, LineSink, PathChange, Status
from imagewright.sanitize.context import MARKERS, PERFORM_CLEANUP
from imagewright.sanitize.shred import ContentHook, Shredder

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (operation about to run, its index, how many)


@dataclass(slots=True)
class OperationResult:
    name: str
    status: str  # cleaned | unchanged | planned | skipped | failed
    seconds: float = 0.0
    reason: str | None = None
    paths: list[PathChange] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # still present after the operation


@dataclass(slots=True)
class FreeSpaceResult:
    wiped: bool
    bytes: int = 0
    method: str | None = None
    note: str | None = None
    seconds: float = 0.0


@dataclass(slots=True)
class ResidueResult:
    checked: bool
    fingerprints: int = 0
    found: list[dict[str, Any]] = field(default_factory=list)  # {"path": ..., "offset": ...}
    note: str | None = None
    seconds: float = 0.0


@dataclass(slots=True)
class SanitizeReport:
    target: str
    kind: str
    profile: str
    dry_run: bool
    operations: list[OperationResult] = field(default_factory=list)
    free_space: FreeSpaceResult = field(default_factory=lambda: FreeSpaceResult(wiped=False))
    residue: ResidueResult = field(default_factory=lambda: ResidueResult(checked=False))
    seconds: float = 0.0

    @property
    def bytes_overwritten(self) -> int:
        return sum(p.bytes_overwritten for op in self.operations for p in op.paths)

    def failures(self) -> list[tuple[str, str]]:
        """(operation, why) for everything that could not be removed, and any residue."""
        found: list[tuple[str, str]] = []
        for op in self.operations:
            found += [(op.name, p.reason or p.path) for p in op.paths if p.status is Status.failed]
            found += [(op.name, f"still present: {path}") for path in op.left]
            if op.status == "failed" and op.reason:
                found.append((op.name, op.reason))
        found += [
            (
                "residue-check",
                f"content of {hit['path']} is still on the disk at byte {hit['offset']}",
            )
            for hit in self.residue.found
        ]
        return found

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        data["bytes_overwritten"] = self.bytes_overwritten
        data["failures"] = [{"operation": o, "reason": r} for o, r in self.failures()]
        return json.dumps(data, indent=2, default=str)


class SanitizeFailed(OperationsFailed):
    """Something could not be removed, or removed content is still on the disk."""

    def __init__(self, report: SanitizeReport) -> None:
        self.report = report
        super().__init__(
            report.failures(),
            hint="the image is not clean: fix the cause above and run sanitize again",
        )


def _skip_reason(
    op: Operation, ctx: SanitizeContext, markers: frozenset[str], user_data_override: bool
) -> str | None:
    if user_data_override and op.profiles == SEED and PERFORM_CLEANUP not in markers:
        return (
            f"userDataOverride is set and {ctx.working_directory / PERFORM_CLEANUP} does not exist"
        )
    if op.skip_marker and op.skip_marker in markers:
        return f"skip marker {ctx.working_directory / op.skip_marker} exists"
    return None


def sanitize_root(
    root: ImageRoot,
    *,
    profile: Profile | str = Profile.ec2_image_builder,
    enable: tuple[str, ...] | list[str] = (),
    disable: tuple[str, ...] | list[str] = (),
    working_directory: str = "/tmp",
    dry_run: bool = False,
    passes: int = 3,
    user_data_override: bool = False,
    on_line: LineSink | None = None,
    on_content: ContentHook | None = None,
    on_progress: Progress | None = None,
    report: SanitizeReport | None = None,
    operations: list[Operation] | None = None,
) -> SanitizeReport:
    """Run the operations over a mounted or extracted image root; the report says what happened.

    `operations` replaces the profile's selection (tests run one operation at a time). Does not
    raise when something is left: the caller decides (see `SanitizeReport.failures`).
    """
    profile = Profile(profile)
    if operations is None:
        operations = select(profile, enable=enable, disable=disable)
    if not working_directory.startswith("/"):
        raise BadTargetError(f"--working-directory must be absolute, got '{working_directory}'")
    if not dry_run and os.statvfs(root.root).f_flag & os.ST_RDONLY:
        raise BadTargetError(
            f"{root.root} is on a read-only file system", hint="sanitize a writable copy"
        )
    report = report or SanitizeReport(str(root.root), "directory", profile.value, dry_run)
    changes = Changes(
        root,
        shredder=Shredder(passes=passes, on_content=on_content),
        dry_run=dry_run,
        on_line=on_line,
    )
    ctx = SanitizeContext(root, changes, profile, PurePosixPath(working_directory))
    # Read once, before anything is removed: emptying a folder that holds the working directory
    # (/var/tmp/build inside /var/tmp) must not change what the remaining operations do.
    markers = frozenset(name for name in MARKERS if ctx.marker(name))
    started = time.monotonic()
    for index, op in enumerate(operations):
        if on_progress is not None:
            on_progress(op.name, index, len(operations))
        report.operations.append(_run_one(op, ctx, markers, user_data_override, on_line))
    report.seconds += time.monotonic() - started
    return report


def _run_one(
    op: Operation,
    ctx: SanitizeContext,
    markers: frozenset[str],
    user_data_override: bool,
    on_line: LineSink | None,
) -> OperationResult:
    reason = _skip_reason(op, ctx, markers, user_data_override)
    if reason:
        log.info("skipping %s: %s", op.name, reason)
        return OperationResult(op.name, "skipped", reason=reason)
    started = time.monotonic()
    result = OperationResult(op.name, "cleaned")
    try:
        op.run(ctx)
    except Interrupted:
        raise
    except ImagewrightError as e:
        result.status, result.reason = "failed", e.message
    except OSError as e:
        result.status, result.reason = "failed", f"{e.filename or ''}: {e.strerror}".lstrip(": ")
    result.paths = ctx.ops.take_records()
    if ctx.ops.dry_run:
        result.status = "planned" if result.paths else "unchanged"
    else:
        try:
            result.left = [str(p) for p in op.verified_by(ctx)]
        except Interrupted:
            raise
        except (ImagewrightError, OSError) as e:
            result.status, result.reason = "failed", f"cannot verify: {e}"
        if result.left or any(p.status is Status.failed for p in result.paths):
            result.status = "failed"
        elif not result.paths and result.status == "cleaned":
            result.status = "unchanged"
        for path in result.left:
            if on_line is not None:
                on_line(f"Failed to delete '{path}'. Failing.")
    result.seconds = time.monotonic() - started
    return result

"""The entry point for every kind of target: `sanitize_image`."""

from __future__ import annotations

import logging
from pathlib import Path

from imagewright.errors import BadTargetError
from imagewright.paths import ImageRoot
from imagewright.sanitize import Profile
from imagewright.sanitize.changes import LineSink
from imagewright.sanitize.engine import SanitizeFailed, SanitizeReport, sanitize_root

log = logging.getLogger(__name__)


def sanitize_image(
    target: Path | str,
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
) -> SanitizeReport:
    """Sanitize a directory, raw disk image, qcow2 image or tar archive.

    Raises SanitizeFailed (exit 1) when something could not be removed or removed content is
    still on the disk, BadTargetError (exit 2) when the target cannot be used.
    """
    path = Path(target)
    if not path.exists() and not path.is_symlink():
        raise BadTargetError(f"{path} does not exist")
    if not path.is_dir():
        raise BadTargetError(f"{path} is not a directory")
    report = sanitize_root(
        ImageRoot(path),
        profile=profile,
        enable=enable,
        disable=disable,
        working_directory=working_directory,
        dry_run=dry_run,
        passes=passes,
        user_data_override=user_data_override,
        on_line=on_line,
    )
    if report.failures():
        raise SanitizeFailed(report)
    return report

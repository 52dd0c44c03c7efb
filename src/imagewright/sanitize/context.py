"""What an operation receives: the confined image, the change recorder and the run's settings."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from imagewright.paths import ImageRoot

if TYPE_CHECKING:
    from imagewright.sanitize.changes import Changes


# Image Builder's marker files in the working directory: one skips a section of the clean-up,
# perform_cleanup lets it run although the recipe overrides user data.
SKIP_MARKERS = (
    "skip_cleanup_cloudinit_files",
    "skip_cleanup_instance_files",
    "skip_cleanup_ssh_files",
    "skip_cleanup_instance_log_files",
    "skip_cleanup_toe_files",
    "skip_cleanup_ssm_log_files",
)
PERFORM_CLEANUP = "perform_cleanup"
MARKERS = (*SKIP_MARKERS, PERFORM_CLEANUP)


class Profile(enum.StrEnum):
    ec2_image_builder = "ec2-image-builder"
    extended = "extended"


@dataclass(frozen=True, slots=True)
class SanitizeContext:
    image: ImageRoot
    ops: Changes
    profile: Profile
    working_directory: PurePosixPath  # Image Builder's {{workingDirectory}}, inside the image

    def expand(self, pattern: str) -> str:
        return pattern.replace("{wd}", str(self.working_directory).rstrip("/") or "")

    def glob(self, pattern: str) -> list[PurePosixPath]:
        """Image paths matching the pattern; '{wd}' stands for the working directory."""
        return self.image.glob(self.expand(pattern))

    def homes(self) -> list[PurePosixPath]:
        """Every user's home folder: /root, /home/*, and the homes named in /etc/passwd."""
        found = {PurePosixPath("/root"), *self.image.glob("/home/*")}
        if self.image.is_file("/etc/passwd"):
            for line in self.image.read_text("/etc/passwd").splitlines():
                fields = line.split(":")
                if len(fields) >= 6 and fields[5].startswith("/") and fields[5] != "/":
                    found.add(PurePosixPath(fields[5]))
        return sorted(home for home in found if self.image.is_dir(home))

    def in_homes(self, *names: str) -> list[PurePosixPath]:
        """The given paths (shell patterns allowed) inside every user's home folder."""
        return sorted(
            {
                path
                for home in self.homes()
                for name in names
                for path in self.glob(f"{home}/{name}")
            }
        )

    def delete(self, *patterns: str) -> None:
        """For each pattern: print the seed's "Deleting X" line, then remove every match."""
        for pattern in patterns:
            self.ops.announce(self.expand(pattern))
            for path in self.glob(pattern):
                self.ops.remove(path)

    def empty(self, *folders: str) -> None:
        """For each folder: print "Deleting folder/*", then remove everything inside it (but
        Image Builder's marker files when it is the working directory: a second run must read
        the same markers as the first)."""
        for folder in folders:
            path = PurePosixPath(self.expand(folder))
            self.ops.announce(f"{path}/*")
            keep = MARKERS if path == self.working_directory else ()
            self.ops.remove_contents(path, keep=keep)

    def marker(self, name: str) -> bool:
        """Whether the working directory holds this Image Builder marker file (exact name)."""
        return self.image.is_file(self.working_directory / name)

    def is_marker(self, path: PurePosixPath) -> bool:
        return path.parent == self.working_directory and path.name in MARKERS

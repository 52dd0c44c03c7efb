"""The effective global settings of an image's sshd, read from its configuration files.

sshd takes the first value it reads for a keyword; `Include` files are read where the directive
stands (Debian's sshd_config includes sshd_config.d/*.conf first of all); settings after the
first `Match` apply only to matching connections, so they are not global.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

from imagewright.paths import ImageRoot

SSHD_CONFIG = "/etc/ssh/sshd_config"
# OpenSSH's compiled-in defaults for the keywords the checks look at.
DEFAULTS = {
    "permitrootlogin": "prohibit-password",
    "passwordauthentication": "yes",
    "permitemptypasswords": "no",
}


@dataclass(frozen=True, slots=True)
class Setting:
    value: str
    path: str | None  # None: OpenSSH's default
    line: int | None


class _Reader:
    def __init__(self, root: ImageRoot) -> None:
        self.root = root
        self.settings: dict[str, Setting] = {}
        self.in_match = False
        self.depth = 0

    def read(self, path: str) -> None:
        if self.depth > 16 or not self.root.is_file(path):
            return
        self.depth += 1
        for number, raw in enumerate(self.root.read_text(path).splitlines(), start=1):
            if self.in_match:
                break
            words = raw.split("#", 1)[0].replace("=", " ", 1).split()
            if len(words) < 2:
                continue
            keyword, value = words[0].lower(), words[1]
            if keyword == "match":
                self.in_match = True
            elif keyword == "include":
                for pattern in words[1:]:
                    full = pattern if pattern.startswith("/") else f"/etc/ssh/{pattern}"
                    for included in self.root.glob(full):
                        self.read(str(PurePosixPath(included)))
            else:
                self.settings.setdefault(keyword, Setting(value.lower(), path, number))
        self.depth -= 1


def sshd_settings(root: ImageRoot) -> dict[str, Setting] | None:
    """Effective global settings, or None when the image has no sshd configuration."""
    if not root.is_file(SSHD_CONFIG):
        return None
    reader = _Reader(root)
    reader.read(SSHD_CONFIG)
    settings = {k: Setting(v, None, None) for k, v in DEFAULTS.items()}
    settings.update(reader.settings)
    return settings

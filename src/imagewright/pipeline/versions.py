"""Image Builder's semantic versions: `x.y.z` with a build number `/n`, and `x` wildcards.

A version filter such as `1.x.x`, `1.2.x` or `x.x.x` selects the highest matching version; a
filter without `/n` selects its latest build.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

SEMANTIC_VERSION = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
# Image Builder's limit for each of major, minor and patch.
MAX_VERSION_NODE = 2**30 - 1
VERSION_FILTER = re.compile(r"^(?:[0-9]+|x)\.(?:[0-9]+|x)\.(?:[0-9]+|x)(?:/[1-9][0-9]*)?$")


@dataclass(frozen=True, slots=True, order=True)
class BuildVersion:
    """A concrete version with its build number, e.g. 1.2.3/4."""

    major: int
    minor: int
    patch: int
    build: int

    @property
    def semantic(self) -> str:
        return f"{self.major}.{self.minor}.{self.patch}"

    def __str__(self) -> str:
        return f"{self.semantic}/{self.build}"

    @classmethod
    def of(cls, semantic: str, build: int) -> BuildVersion:
        major, minor, patch = (int(part) for part in semantic.split("."))
        return cls(major, minor, patch, build)


@dataclass(frozen=True, slots=True)
class VersionFilter:
    """`1.x.x`, `1.2.3`, `1.2.3/4`: which versions and builds it accepts."""

    parts: tuple[int | None, int | None, int | None]
    build: int | None

    @classmethod
    def parse(cls, text: str) -> VersionFilter:
        if not VERSION_FILTER.match(text):
            raise ValueError(
                f"'{text}' is not a version: expected x.y.z, x.y.z/n or wildcards like 1.x.x"
            )
        semantic, _, build = text.partition("/")
        numbers = [None if part == "x" else int(part) for part in semantic.split(".")]
        wildcard_seen = False
        for number in numbers:
            if number is None:
                wildcard_seen = True
            elif wildcard_seen:
                raise ValueError(f"'{text}': a wildcard may only be followed by wildcards")
        if build and any(n is None for n in numbers):
            raise ValueError(f"'{text}': a build number needs a full x.y.z version")
        return cls((numbers[0], numbers[1], numbers[2]), int(build) if build else None)

    def accepts(self, version: BuildVersion) -> bool:
        actual = (version.major, version.minor, version.patch)
        if any(
            want is not None and want != got for want, got in zip(self.parts, actual, strict=True)
        ):
            return False
        return self.build is None or self.build == version.build

    def best(self, versions: Iterable[BuildVersion]) -> BuildVersion | None:
        """The highest accepted version (latest build of the highest x.y.z)."""
        accepted = [v for v in versions if self.accepts(v)]
        return max(accepted) if accepted else None


def is_semantic_version(text: str) -> bool:
    """x.y.z, each node 0 to 2^30-1 as in Image Builder."""
    return SEMANTIC_VERSION.match(text) is not None and all(
        int(node) <= MAX_VERSION_NODE for node in text.split(".")
    )

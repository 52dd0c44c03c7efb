"""Loop devices left behind by a test: every real-image test asserts there are none."""

from __future__ import annotations

import subprocess
from pathlib import Path


def loops_backed_below(path: Path) -> list[str]:
    """Loop devices whose backing file is path or lies below it."""
    listing = subprocess.run(
        ["losetup", "--list", "--noheadings", "--output", "NAME,BACK-FILE"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [
        fields[0]
        for fields in (line.split() for line in listing.splitlines())
        if len(fields) > 1 and fields[1].startswith(str(path))
    ]

"""Debian bases made with mmdebstrap from the host's mirror."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from imagewright.images.mirror import debian_sources
from imagewright.run import require_tool, run

log = logging.getLogger(__name__)

SUITE_ALIASES = {"12": "bookworm", "11": "bullseye", "13": "trixie"}


def suite_name(version: str) -> str:
    return SUITE_ALIASES.get(version, version)


def mmdebstrap(
    output: Path,
    *,
    suite: str,
    packages: Sequence[str] = (),
    variant: str = "minbase",
    architecture: str = "amd64",
    timeout: float = 1800,
) -> Path:
    """Make a Debian root with mmdebstrap. output: a directory or a .tar file (by its suffix)."""
    mmdebstrap_path = require_tool("mmdebstrap")
    suite = suite_name(suite)
    argv: list[str | Path] = [
        mmdebstrap_path,
        f"--variant={variant}",
        f"--architectures={architecture}",
        "--mode=root",
        "--format=" + ("tar" if output.suffix == ".tar" else "directory"),
    ]
    if packages:
        argv.append("--include=" + ",".join(packages))
    argv += [suite, output]
    argv += [source.line() for source in debian_sources(suite)]
    log.info("Making a Debian %s base with mmdebstrap (%s)", suite, variant)
    run(argv, timeout=timeout)
    return output

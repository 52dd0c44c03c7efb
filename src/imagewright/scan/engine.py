"""One scan of an image: secrets in files, deleted data on the raw disk, hygiene and
configuration checks, pending patches. Parts run in that order, each can be skipped, and all
findings go into one report."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from imagewright.errors import ConfigError, Problem
from imagewright.findings import Finding, Report, Severity
from imagewright.images.probe import Region
from imagewright.log import step
from imagewright.paths import ImageRoot
from imagewright.registry import suggest
from imagewright.scan.checks import CheckContext, run_checks
from imagewright.scan.files import ScanStats, scan_files
from imagewright.scan.matcher import SecretMatcher
from imagewright.scan.packages import PackageFiles
from imagewright.scan.patches import image_suite, patch_findings, pending_updates
from imagewright.scan.raw import RawStats, scan_free_space

log = logging.getLogger(__name__)

PARTS = ("secrets", "deleted-data", "hygiene", "patches")


def check_parts(names: Sequence[str]) -> frozenset[str]:
    unknown = [n for n in names if n not in PARTS]
    if unknown:
        raise ConfigError(
            [
                Problem(
                    f"unknown scan part '{name}' (expected one of {', '.join(PARTS)})",
                    field="--skip",
                    suggestion=suggest(name, PARTS),
                )
                for name in unknown
            ]
        )
    return frozenset(names)


@dataclass(slots=True)
class ScanResult:
    report: Report
    files: ScanStats = field(default_factory=ScanStats)
    raw: RawStats = field(default_factory=RawStats)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # what could not be scanned, and why


def scan_image(
    root: ImageRoot,
    *,
    target: str,
    raw_disk: Path | None = None,
    regions: Sequence[Region] = (),
    skip: frozenset[str] = frozenset(),
    matcher: SecretMatcher | None = None,
) -> ScanResult:
    started = time.perf_counter()
    result = ScanResult(Report(target=target, tool="scan"))
    findings: list[Finding] = []
    matcher = matcher or SecretMatcher()
    packages = PackageFiles(root)
    if not packages:
        result.notes.append("no package database: every file is treated as added by the build")
    entries = list(root.walk())
    if "secrets" not in skip:
        count = sum(1 for e in entries if e.is_file)
        with step(f"secrets in {count} files ({matcher.engine})"):
            findings += scan_files(entries, matcher, packages, result.files)
        result.notes += [f"unreadable: {u}" for u in result.files.unreadable]
    if "deleted-data" not in skip and raw_disk is not None:
        with step("deleted data in the raw disk's free space"):
            findings += scan_free_space(raw_disk, regions, matcher, result.raw)
        result.notes += [f"not scanned: {n}" for n in result.raw.not_scanned]
    if "hygiene" not in skip:
        with step("hygiene and configuration checks"):
            findings += run_checks(CheckContext(root, packages, entries))
    if "patches" not in skip:
        suite = image_suite(root)
        if suite is None:
            result.notes.append("patches not checked: not a Debian image")
        else:
            with step(f"pending updates from {suite}, {suite}-updates and {suite}-security"):
                findings += patch_findings(pending_updates(root, suite))
    result.report.findings = sorted(
        findings, key=lambda f: (-f.severity.rank, f.path or "", f.line or 0, f.offset or 0)
    )
    result.seconds = time.perf_counter() - started
    return result


def exit_code(report: Report, threshold: Severity) -> int:
    return 1 if report.at_or_above(threshold) else 0

"""The secret scan of an image's files.

Every regular file is read (never through a symlink) and matched in one hyperscan pass; large
files are read in chunks that overlap by more than the longest secret. Only files with a hit are
then checked against the package database: a file a package installed and nobody changed is the
distribution's, so its hits are dropped. Scanning first and hashing only the few files that hit
is what keeps the scan at disk speed; the result is the same as skipping unchanged package files.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from imagewright.findings import Finding, redact
from imagewright.paths import Entry
from imagewright.scan.matcher import SecretMatch, SecretMatcher
from imagewright.scan.packages import PackageFiles

log = logging.getLogger(__name__)

CHUNK = 32 << 20
OVERLAP = 64 << 10  # longer than any secret a rule extracts (private keys: 16 KiB)


@dataclass(slots=True)
class ScanStats:
    files: int = 0
    bytes: int = 0
    unreadable: list[str] = field(default_factory=list)
    package_hits_dropped: int = 0


def secret_finding(match: SecretMatch, *, path: str | None, line: int | None) -> Finding:
    rule = match.rule
    return Finding(
        rule_id=rule.name,
        category="secret",
        severity=rule.severity,
        title=rule.title,
        path=path,
        line=line,
        evidence=redact(match.value.decode("utf-8", errors="replace")),
        remediation=rule.remediation,
    )


def _read_chunks(fd: int, size: int) -> Iterator[tuple[int, bytes]]:
    """(offset, data) pieces of a file; consecutive pieces overlap by OVERLAP bytes."""
    if size <= CHUNK:
        parts = []
        while chunk := os.read(fd, max(size, 1 << 16)):
            parts.append(chunk)
        yield 0, b"".join(parts) if len(parts) != 1 else parts[0]
        return
    offset = 0
    while True:
        data = os.pread(fd, CHUNK + OVERLAP, offset)
        if not data:
            return
        yield offset, data
        if len(data) < CHUNK + OVERLAP:
            return
        offset += CHUNK


def scan_file(entry: Entry, matcher: SecretMatcher) -> tuple[int, list[Finding]]:
    """(bytes read, findings) of one regular file."""
    path = entry.path_str
    fd = os.open(entry.host_str, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)
    findings: list[Finding] = []
    total = 0
    seen: set[tuple[str, int]] = set()
    try:
        lines_before = 0
        for offset, data in _read_chunks(fd, entry.stat.st_size):
            total = offset + len(data)
            for match in matcher.find(data, path):
                key = (match.rule.name, offset + match.start)
                if key in seen:
                    continue
                seen.add(key)
                line = lines_before + data.count(b"\n", 0, match.start) + 1
                findings.append(secret_finding(match, path=path, line=line))
            if len(data) > CHUNK:
                lines_before += data.count(b"\n", 0, CHUNK)
    finally:
        os.close(fd)
    return total, findings


def scan_files(
    entries: Iterable[Entry], matcher: SecretMatcher, packages: PackageFiles, stats: ScanStats
) -> list[Finding]:
    findings: list[Finding] = []
    for entry in entries:
        if not entry.is_file or entry.stat.st_size == 0:
            continue
        try:
            size, found = scan_file(entry, matcher)
        except OSError as error:
            stats.unreadable.append(f"{entry.path_str}: {error.strerror}")
            continue
        stats.files += 1
        stats.bytes += size
        if found and packages.unchanged(entry.path_str):
            stats.package_hits_dropped += len(found)
            continue
        findings.extend(found)
    return findings

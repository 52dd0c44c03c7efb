"""The secret scan of an image's files.

Every regular file is read (never through a symlink) and matched in one hyperscan pass; large
files are read in chunks that overlap by more than the longest secret. Only files with a hit are
then checked against the package database: a file a package installed and nobody changed is the
distribution's, so its hits are dropped. Scanning first and hashing only the few files that hit
is what keeps the scan at disk speed; the result is the same as skipping unchanged package files.
"""

from __future__ import annotations

import bisect
import itertools
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
SMALL_FILE = 256 << 10
BATCH_SIZE = 4 << 20


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


def _open(entry: Entry) -> int:
    return os.open(entry.host_str, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY)


def _findings(matcher: SecretMatcher, data: bytes, path: str) -> list[Finding]:
    return [
        secret_finding(m, path=path, line=data.count(b"\n", 0, m.start) + 1)
        for m in matcher.find(data, path)
    ]


def scan_file(entry: Entry, matcher: SecretMatcher) -> tuple[int, list[Finding]]:
    """(bytes read, findings) of one regular file."""
    path = entry.path_str
    fd = _open(entry)
    findings: list[Finding] = []
    total = 0
    seen: set[tuple[str, int]] = set()
    try:
        lines_before = 0
        for offset, data in _read_chunks(fd, entry.stat.st_size):
            total = offset + len(data)
            for match in matcher.find(data, path):
                if (match.rule.name, offset + match.start) in seen:  # again, in the overlap
                    continue
                seen.add((match.rule.name, offset + match.start))
                line = lines_before + data.count(b"\n", 0, match.start) + 1
                findings.append(secret_finding(match, path=path, line=line))
            if len(data) > CHUNK:
                lines_before += data.count(b"\n", 0, CHUNK)
    finally:
        os.close(fd)
    return total, findings


class _Batch:
    """Small files matched together in one hyperscan call: one call per file costs more than the
    matching. The end offset of each hit names the file to match on its own; a match across the
    separator is re-checked in its file and comes to nothing."""

    SEPARATOR = b"\n\x00\n"

    def __init__(self) -> None:
        self.files: list[tuple[Entry, bytes]] = []
        self.size = 0

    def add(self, entry: Entry, data: bytes) -> None:
        self.files.append((entry, data))
        self.size += len(data)

    def scan(self, matcher: SecretMatcher) -> list[tuple[Entry, list[Finding]]]:
        files, self.files, self.size = self.files, [], 0
        if not files:
            return []
        ends = matcher.hit_offsets(self.SEPARATOR.join(data for _, data in files))
        if ends == []:
            return []
        starts = list(
            itertools.accumulate((len(d) + len(self.SEPARATOR) for _, d in files), initial=0)
        )
        hit = (
            range(len(files))
            if ends is None
            else {bisect.bisect_right(starts, e - 1) - 1 for e in ends}
        )
        return [
            (files[i][0], _findings(matcher, files[i][1], files[i][0].path_str))
            for i in sorted(hit)
        ]


def _read_small(entry: Entry) -> bytes:
    fd = _open(entry)
    try:
        parts = []
        while chunk := os.read(fd, max(entry.stat.st_size, 1 << 16)):
            parts.append(chunk)
    finally:
        os.close(fd)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def scan_files(
    entries: Iterable[Entry], matcher: SecretMatcher, packages: PackageFiles, stats: ScanStats
) -> list[Finding]:
    findings: list[Finding] = []
    batch = _Batch()

    def keep(entry: Entry, found: list[Finding]) -> None:
        if found and packages.unchanged(entry.path_str):
            stats.package_hits_dropped += len(found)
        else:
            findings.extend(found)

    for entry in entries:
        if not entry.is_file or entry.stat.st_size == 0:
            continue
        try:
            if entry.stat.st_size <= SMALL_FILE and not matcher.path_bound(entry.path_str):
                data = _read_small(entry)
                size = len(data)
                batch.add(entry, data)
            else:
                size, found = scan_file(entry, matcher)
                keep(entry, found)
        except OSError as error:
            stats.unreadable.append(f"{entry.path_str}: {error.strerror}")
            continue
        stats.files += 1
        stats.bytes += size
        if batch.size >= BATCH_SIZE:
            for hit in batch.scan(matcher):
                keep(*hit)
    for hit in batch.scan(matcher):
        keep(*hit)
    return findings

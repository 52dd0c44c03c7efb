"""Multi-pattern matching of the secret rules over byte buffers.

hyperscan compiles every rule into one database and answers "which rules occur in this buffer"
in a single pass (each pattern reports once per buffer); Python's `re` then extracts the
occurrences of the rules that hit, which is cheap because hits are rare. Where hyperscan cannot be
imported (or the CPU lacks what it needs), each rule's detection pattern runs with `re` instead:
the same results, slower.
"""

from __future__ import annotations

import fnmatch
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from imagewright.scan.secrets import SECRET_RULES, SecretRule

log = logging.getLogger(__name__)

_SECRET_GROUP = re.compile(rb"\(\?P<secret>")


@dataclass(frozen=True, slots=True)
class SecretMatch:
    rule: SecretRule
    start: int  # of the secret value in the buffer
    end: int
    value: bytes

    def specificity(self) -> tuple[bool, bool, int]:
        rule = self.rule
        return (rule.generic, not rule.paths, -rule.severity.rank)


@dataclass(frozen=True, slots=True)
class _Expression:
    rule: SecretRule
    detect: bytes  # for the multi-pattern pass
    extract: re.Pattern[bytes]  # finds the occurrences and the secret group


def _expressions(rules: Sequence[SecretRule]) -> list[_Expression]:
    expressions = []
    for rule in rules:
        flags = re.MULTILINE | (re.IGNORECASE if rule.caseless else 0)
        for pattern in rule.patterns:
            detect = rule.detect or _SECRET_GROUP.sub(b"(?:", pattern)
            expressions.append(_Expression(rule, detect, re.compile(pattern, flags)))
    return expressions


def _load_hyperscan() -> Any:
    try:
        import hyperscan
    except ImportError:  # pragma: no cover - depends on the platform's wheel
        return None
    return hyperscan


class SecretMatcher:
    """Finds the secrets of a set of rules in buffers; build once, use for many buffers."""

    def __init__(
        self, rules: Sequence[SecretRule] | None = None, *, use_hyperscan: bool = True
    ) -> None:
        self.expressions = _expressions(list(rules) if rules is not None else list(SECRET_RULES))
        self._database: Any = None
        self._scratch: Any = None
        hyperscan = _load_hyperscan() if use_hyperscan else None
        if hyperscan is not None:
            try:
                self._database = self._compile(hyperscan)
            except hyperscan.error as error:  # pragma: no cover - CPU without SSSE3
                log.warning("hyperscan unavailable (%s); matching with Python's re", error)
        if self._database is None:
            self._fallback = [
                re.compile(e.detect, re.MULTILINE | (re.IGNORECASE if e.rule.caseless else 0))
                for e in self.expressions
            ]

    @property
    def engine(self) -> str:
        return "hyperscan" if self._database is not None else "re"

    def _compile(self, hyperscan: Any) -> Any:
        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        base = hyperscan.HS_FLAG_MULTILINE | hyperscan.HS_FLAG_SINGLEMATCH
        flags = [
            base | (hyperscan.HS_FLAG_CASELESS if e.rule.caseless else 0) for e in self.expressions
        ]
        database.compile(
            expressions=[e.detect for e in self.expressions],
            ids=list(range(len(self.expressions))),
            elements=len(self.expressions),
            flags=flags,
        )
        self._scratch = hyperscan.Scratch(database)
        return database

    def hits(self, data: bytes) -> list[int]:
        """Indices of the expressions that occur in data."""
        if self._database is None:
            return [i for i, pattern in enumerate(self._fallback) if pattern.search(data)]
        found: list[int] = []

        def on_match(expression: int, start: int, end: int, flags: int, context: object) -> None:
            found.append(expression)

        self._database.scan(data, match_event_handler=on_match, scratch=self._scratch)
        return found

    def find(self, data: bytes, path: str | None = None) -> list[SecretMatch]:
        """Every validated secret in data; path (inside the image) selects path-bound rules."""
        matches: list[SecretMatch] = []
        for index in self.hits(data):
            expression = self.expressions[index]
            rule = expression.rule
            if rule.paths and (path is None or not _path_matches(path, rule.paths)):
                continue
            for occurrence in expression.extract.finditer(data):
                start, end = occurrence.span("secret")
                value = occurrence.group("secret")
                if rule.validate is None or rule.validate(value):
                    matches.append(SecretMatch(rule, start, end, value))
        return _without_overlaps(matches)


def _path_matches(path: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns)


def _without_overlaps(matches: list[SecretMatch]) -> list[SecretMatch]:
    """One finding per secret: where rules overlap, the specific, then path-bound, then most
    severe rule wins."""
    if len(matches) < 2:
        return matches
    kept: list[SecretMatch] = []
    for match in sorted(matches, key=SecretMatch.specificity):
        if not any(match.start < k.end and k.start < match.end for k in kept):
            kept.append(match)
    return sorted(kept, key=lambda m: m.start)

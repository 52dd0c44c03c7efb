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
MAX_EVENTS = 10_000  # match events of one buffer before it is simply treated as a hit


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


class _MultiPattern:
    """One set of expressions in one hyperscan database (or, without hyperscan, `re`)."""

    def __init__(self, expressions: list[_Expression], hyperscan: Any) -> None:
        self.expressions = expressions
        self._database: Any = None
        self._scratch: Any = None
        self._hyperscan = hyperscan
        if hyperscan is not None and expressions:
            try:
                self._compile(hyperscan)
            except hyperscan.error as error:  # pragma: no cover - CPU without SSSE3
                log.warning("hyperscan unavailable (%s); matching with Python's re", error)
        self._fallback = [
            re.compile(e.detect, re.MULTILINE | (re.IGNORECASE if e.rule.caseless else 0))
            for e in expressions
        ]

    def _compile(self, hyperscan: Any) -> None:
        database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        base = hyperscan.HS_FLAG_MULTILINE
        database.compile(
            expressions=[e.detect for e in self.expressions],
            ids=list(range(len(self.expressions))),
            elements=len(self.expressions),
            flags=[
                base | (hyperscan.HS_FLAG_CASELESS if e.rule.caseless else 0)
                for e in self.expressions
            ],
        )
        self._scratch = hyperscan.Scratch(database)
        self._database = database

    @property
    def uses_hyperscan(self) -> bool:
        return self._database is not None

    def _search_each(self, data: bytes) -> list[tuple[_Expression, int]]:
        return [
            (e, m.end())
            for e, p in zip(self.expressions, self._fallback, strict=True)
            if (m := p.search(data))
        ]

    def matches(self, data: bytes) -> list[tuple[_Expression, int]] | None:
        """(expression, end offset) of occurrences in data (with `re`: the first of each);
        None when there are too many to list: then treat all of data as a hit."""
        if self._database is None:
            return self._search_each(data)
        found: list[tuple[int, int]] = []

        def on_match(expression: int, start: int, end: int, flags: int, context: object) -> bool:
            found.append((expression, end))
            return len(found) >= MAX_EVENTS

        try:
            self._database.scan(data, match_event_handler=on_match, scratch=self._scratch)
        except self._hyperscan.ScanTerminated:
            return None
        return [(self.expressions[i], end) for i, end in found]

    def hits(self, data: bytes) -> list[_Expression]:
        """The expressions that occur in data, each once."""
        found = self.matches(data)
        if found is None:
            found = self._search_each(data)
        return list(dict.fromkeys(e for e, _ in found))


class SecretMatcher:
    """Finds the secrets of a set of rules in buffers; build once, use for many buffers.

    Rules bound to paths (.netrc, histories, configuration files) have their own database, run
    only on files with such a path: their keywords (`password`, `token:`) are everywhere else.
    """

    def __init__(
        self, rules: Sequence[SecretRule] | None = None, *, use_hyperscan: bool = True
    ) -> None:
        expressions = _expressions(list(rules) if rules is not None else list(SECRET_RULES))
        hyperscan = _load_hyperscan() if use_hyperscan else None
        self.general = _MultiPattern([e for e in expressions if not e.rule.paths], hyperscan)
        self.bound = _MultiPattern([e for e in expressions if e.rule.paths], hyperscan)
        bound_paths = sorted({p for e in self.bound.expressions for p in e.rule.paths})
        # one regular expression for all patterns: this test runs for every file of the image
        self._bound_paths = re.compile(
            "|".join(fnmatch.translate(p) for p in bound_paths) or "(?!)"
        )

    @property
    def engine(self) -> str:
        return "hyperscan" if self.general.uses_hyperscan else "re"

    def path_bound(self, path: str | None) -> bool:
        """True when some path-bound rule applies to a file at path."""
        return path is not None and self._bound_paths.match(path) is not None

    def hit_offsets(self, data: bytes) -> list[int] | None:
        """End offsets where rules that are not bound to paths occur in data (a cheap first
        pass); None: too many to list, treat all of data as a hit."""
        found = self.general.matches(data)
        return None if found is None else [end for _, end in found]

    def find(self, data: bytes, path: str | None = None) -> list[SecretMatch]:
        """Every validated secret in data; path (inside the image) selects path-bound rules."""
        candidates = self.general.hits(data)
        if path is not None and self.path_bound(path):
            candidates += [e for e in self.bound.hits(data) if _path_matches(path, e.rule.paths)]
        matches: list[SecretMatch] = []
        for expression in candidates:
            rule = expression.rule
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

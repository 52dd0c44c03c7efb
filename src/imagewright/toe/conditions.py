"""Comparison and logical operators (awstoe.md §3.5-3.7), used by `if` and by Assert.

Decisions where AWSTOE's documentation is silent or contradicts itself:
- two-operand operators compare `value OP baseline` (what every documented example does);
- string comparisons are case-insensitive and do not trim (the section's rule), so is
  `patternMatches` (Python `re` with IGNORECASE; RE2 syntax is a subset for common patterns);
- numbers that do not parse make the comparison false, not an error; they are compared exactly
  (Decimal), like Go's big.Float;
- file hashes compare hex digits case-insensitively; `fileExists` tests for a regular file;
- operator names are matched exactly; a near miss gets a "did you mean" at validation;
- `not` accepts a mapping or a one-element list; logical operators nest at most 4 deep.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Protocol

from imagewright.executors.base import Executor
from imagewright.registry import suggest

SINGLE = frozenset(
    {"stringIsEmpty", "stringIsWhitespace", "binaryExists", "fileExists", "folderExists"}
)
STRING_PAIRS: dict[str, Callable[[str, str], bool]] = {
    "stringEquals": lambda v, b: v.casefold() == b.casefold(),
    "stringLessThan": lambda v, b: v.casefold() < b.casefold(),
    "stringLessThanEquals": lambda v, b: v.casefold() <= b.casefold(),
    "stringGreaterThan": lambda v, b: v.casefold() > b.casefold(),
    "stringGreaterThanEquals": lambda v, b: v.casefold() >= b.casefold(),
}
NUMBER_PAIRS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "numberEquals": lambda v, b: v == b,
    "numberLessThan": lambda v, b: v < b,
    "numberLessThanEquals": lambda v, b: v <= b,
    "numberGreaterThan": lambda v, b: v > b,
    "numberGreaterThanEquals": lambda v, b: v >= b,
}
HASHES = {
    "fileMD5Equals": "md5",
    "fileSHA1Equals": "sha1",
    "fileSHA256Equals": "sha256",
    "fileSHA512Equals": "sha512",
}
PAIRS = frozenset({*STRING_PAIRS, *NUMBER_PAIRS, "patternMatches"})
LOGICAL = frozenset({"and", "or", "not"})
OPERATORS = frozenset({*SINGLE, *PAIRS, *HASHES, *LOGICAL})
MAX_LOGICAL_DEPTH = 4
_NUMBER = re.compile(r"^[-+]?([0-9]+[.])?[0-9]+$")

Loc = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class ConditionProblem:
    loc: Loc  # inside the condition mapping
    message: str
    suggestion: str | None = None


class Probe(Protocol):
    """How operators look at the target."""

    def binary_exists(self, name: str) -> bool: ...

    def host_path(self, path: str) -> Path: ...


class ExecutorProbe:
    """Looks at the target through the step's executor (this host or an image root)."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor

    def binary_exists(self, name: str) -> bool:
        result = self.executor.run(
            ["/bin/sh", "-c", 'command -v "$1"', "sh", name], check=False, timeout=30
        )
        return result.returncode == 0

    def host_path(self, path: str) -> Path:
        return self.executor.resolve(path)


def check(
    expression: Any, *, allowed_siblings: frozenset[str] = frozenset(), depth: int = 0
) -> list[ConditionProblem]:
    """Problems with an operator expression (structure only; values may hold `{{ }}`)."""
    if not isinstance(expression, Mapping):
        return [ConditionProblem((), "expected a mapping with one operator, e.g. stringEquals")]
    operators = [k for k in expression if k in OPERATORS]
    if len(operators) != 1:
        unknown = [k for k in expression if k not in OPERATORS and k not in allowed_siblings]
        unknown = [k for k in unknown if k not in {"value", "path"}]
        if unknown:
            return [
                ConditionProblem((k,), "unknown operator", suggest(str(k), OPERATORS))
                for k in unknown
            ]
        if not operators:
            return [ConditionProblem((), "expected exactly one comparison or logical operator")]
        return [ConditionProblem((), f"more than one operator: {', '.join(operators)}")]
    operator = operators[0]
    siblings = set(expression) - {operator} - allowed_siblings
    problems: list[ConditionProblem] = []
    expected: set[str] = set()
    if operator in PAIRS:
        expected = {"value"}
    elif operator in HASHES:
        expected = {"path"}
    for key in sorted(siblings - expected, key=str):
        problems.append(ConditionProblem((key,), f"'{key}' does not belong to {operator}", None))
    for key in sorted(expected - siblings):
        problems.append(ConditionProblem((), f"{operator} needs a sibling '{key}'"))
    argument = expression[operator]
    if operator in LOGICAL:
        if depth + 1 > MAX_LOGICAL_DEPTH:
            return [
                ConditionProblem(
                    (operator,), f"logical operators nest deeper than {MAX_LOGICAL_DEPTH} levels"
                )
            ]
        items = argument
        if operator == "not":
            if isinstance(argument, Mapping):
                items = [argument]
            if not isinstance(items, list) or len(items) != 1:
                return [
                    *problems,
                    ConditionProblem((operator,), "not takes exactly one expression"),
                ]
        elif not isinstance(items, list) or not items:
            return [
                *problems,
                ConditionProblem((operator,), f"{operator} takes a list of expressions"),
            ]
        for index, item in enumerate(items):
            prefix: Loc = (operator,) if isinstance(argument, Mapping) else (operator, index)
            for problem in check(item, depth=depth + 1):
                problems.append(
                    ConditionProblem((*prefix, *problem.loc), problem.message, problem.suggestion)
                )
    elif isinstance(argument, Mapping | list) or (argument is None and operator not in SINGLE):
        problems.append(ConditionProblem((operator,), f"{operator} takes a single value"))
    for key in expected & siblings:
        if isinstance(expression[key], Mapping | list):
            problems.append(ConditionProblem((key,), f"'{key}' takes a single value"))
    return problems


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if isinstance(value, str) and _NUMBER.match(value):
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


def evaluate(expression: Mapping[str, Any], probe: Probe) -> bool:
    """Truth of an operator expression whose `{{ }}` have already been substituted."""
    operator = next(k for k in expression if k in OPERATORS)
    argument = expression[operator]
    if operator == "and":
        return all(evaluate(item, probe) for item in argument)
    if operator == "or":
        return any(evaluate(item, probe) for item in argument)
    if operator == "not":
        inner = argument if isinstance(argument, Mapping) else argument[0]
        return not evaluate(inner, probe)
    if operator == "stringIsEmpty":
        return text(argument) == ""
    if operator == "stringIsWhitespace":
        value = text(argument)
        return value != "" and value.strip(" \t\r\n") == ""
    if operator in STRING_PAIRS:
        return STRING_PAIRS[operator](text(expression.get("value")), text(argument))
    if operator == "patternMatches":
        try:
            pattern = re.compile(text(argument), re.IGNORECASE)
        except re.error:
            return False
        return pattern.search(text(expression.get("value"))) is not None
    if operator in NUMBER_PAIRS:
        left, right = number(expression.get("value")), number(argument)
        if left is None or right is None:
            return False
        return NUMBER_PAIRS[operator](left, right)
    if operator == "binaryExists":
        return probe.binary_exists(text(argument))
    if operator in ("fileExists", "folderExists"):
        host = probe.host_path(text(argument))
        return host.is_file() if operator == "fileExists" else host.is_dir()
    algorithm = HASHES[operator]
    host = probe.host_path(text(expression.get("path")))
    if not host.is_file():
        return False
    digest = hashlib.new(algorithm)
    with host.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest().lower() == text(argument).strip().lower()


def describe(expression: Mapping[str, Any]) -> str:
    """A short text of an evaluated expression for logs and failure messages."""
    operator = next((k for k in expression if k in OPERATORS), "?")
    if operator in LOGICAL:
        argument = expression[operator]
        items = [argument] if isinstance(argument, Mapping) else list(argument)
        return f"{operator}(" + ", ".join(describe(i) for i in items) + ")"
    if operator in PAIRS:
        return (
            f"{operator} {text(expression[operator])!r} (value {text(expression.get('value'))!r})"
        )
    if operator in HASHES:
        return f"{operator} {text(expression[operator])!r} (path {text(expression.get('path'))!r})"
    return f"{operator} {text(expression.get(operator))!r}"

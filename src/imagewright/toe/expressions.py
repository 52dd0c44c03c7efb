"""`{{ }}` expressions: parsing, validation and substitution.

Forms (awstoe.md §3.2): `{{ Name }}` (parameter or constant), `{{ phase.step.inputs.x }}`,
`{{ phase.step.inputs[i].x }}`, `{{ phase.step.outputs.x }}`, `{{ phase.step.outputs[i].x }}`,
`{{ loop.index }}`, `{{ loop.value }}`, `{{ <loopName>.index|value }}`, `{{ env:NAME }}`,
`{{ context:key }}`, `{{ aws:ssm:/name }}`, `{{ aws:ssm:resolve(Name) }}`, `{{ aws:imds:path }}`.

Decisions where AWSTOE's documentation is silent:
- there is no escape for a literal `{{`; text that does not parse as a reference is an error at
  validation;
- `loop.*` outside a loop step is left as written (documented behaviour), named-loop references
  that name no loop of the step are errors;
- chaining to a step that did not run (skipped, not selected by --phases, failed before
  producing outputs) gives an empty string; chaining to a later step is a validation error;
- AWS-only values (SSM, IMDS, context:accountId/region) come from a variables file keyed by the
  reference text (`aws:ssm:/app/key: value`); without one the run stops before any step with
  NeedsAwsError.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from imagewright.errors import NeedsAwsError

EXPRESSION = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
NAME = r"[A-Za-z0-9_-]+"
_CHAIN = re.compile(
    rf"^(?P<phase>{NAME})\.(?P<step>{NAME})\.(?P<part>inputs|outputs)"
    r"(?:\[(?P<index>\d+)\])?(?P<fields>(?:\.[A-Za-z0-9_-]+|\[\d+\])*)$"
)
_LOOP = re.compile(rf"^(?P<loop>{NAME})\.(?P<field>index|value)$")
_VARIABLE = re.compile(rf"^{NAME}$")
_SSM_RESOLVE = re.compile(rf"^aws:ssm:resolve\((?P<name>{NAME}|aws:ssm:[^()]+)\)$")

CONTEXT_KEYS = frozenset(
    {
        "executionId",
        "accountId",
        "region",
        "osPlatform",
        "osName",
        "osVersion",
        "date",
        "dateTime",
        "uuid",
        "hostname",
        "phase",
        "step",
    }
)
AWS_CONTEXT_KEYS = frozenset({"accountId", "region"})


class ExpressionError(ValueError):
    """An expression that cannot be parsed or does not name anything declared."""


@dataclass(frozen=True, slots=True)
class Reference:
    """One parsed `{{ }}` reference."""

    text: str  # as written, spaces trimmed
    kind: str  # variable | chain | loop | env | context | aws
    name: str = ""  # variable, env or context name; loop name; aws reference
    phase: str = ""
    step: str = ""
    part: str = ""  # inputs | outputs
    path: tuple[str | int, ...] = ()  # after inputs/outputs: index then fields


def parse(text: str) -> Reference:
    """Parse what is between `{{` and `}}`."""
    expression = text.strip()
    if not expression:
        raise ExpressionError("empty expression '{{ }}'")
    if expression.startswith("env:"):
        name = expression[4:]
        if not name:
            raise ExpressionError("env: needs a variable name, e.g. {{ env:HOME }}")
        return Reference(expression, "env", name=name)
    if expression.startswith("context:"):
        key = expression[8:]
        if key not in CONTEXT_KEYS:
            raise ExpressionError(
                f"unknown context variable '{key}'; "
                f"expected one of: {', '.join(sorted(CONTEXT_KEYS))}"
            )
        return Reference(expression, "context", name=key)
    if expression.startswith("aws:"):
        return _parse_aws(expression)
    if expression.startswith("s3://"):
        return Reference(expression, "aws", name=expression)
    if _VARIABLE.match(expression):
        return Reference(expression, "variable", name=expression)
    loop = _LOOP.match(expression)
    if loop:
        return Reference(expression, "loop", name=loop["loop"], part=loop["field"])
    chain = _CHAIN.match(expression)
    if chain:
        path: list[str | int] = [int(chain["index"])] if chain["index"] is not None else [0]
        for token in re.findall(r"\.([A-Za-z0-9_-]+)|\[(\d+)\]", chain["fields"]):
            path.append(token[0] if token[0] else int(token[1]))
        return Reference(
            expression,
            "chain",
            phase=chain["phase"],
            step=chain["step"],
            part=chain["part"],
            path=tuple(path),
        )
    raise ExpressionError(
        f"cannot read expression '{{{{ {expression} }}}}'; expected a parameter or constant name, "
        "phase.step.inputs|outputs..., loop.index|value, env:NAME, context:KEY or aws:ssm:/name"
    )


def _parse_aws(expression: str) -> Reference:
    if expression.startswith("aws:ssm:"):
        if expression.startswith("aws:ssm:resolve("):
            if not _SSM_RESOLVE.match(expression):
                raise ExpressionError(
                    f"cannot read '{expression}'; expected aws:ssm:resolve(ParameterName)"
                )
        elif len(expression) == len("aws:ssm:"):
            raise ExpressionError("aws:ssm: needs a parameter name, e.g. aws:ssm:/app/key")
        return Reference(expression, "aws", name=expression)
    if expression.startswith("aws:imds:"):
        path = expression[len("aws:imds:") :].lstrip("/")
        if not path:
            raise ExpressionError("aws:imds: needs a metadata path, e.g. aws:imds:instance-id")
        if path.startswith(("iam/", "identity-credentials/")) or path in {
            "iam",
            "identity-credentials",
        }:
            raise ExpressionError(f"instance metadata '{path}' holds credentials and is refused")
        return Reference(expression, "aws", name=expression)
    raise ExpressionError(f"unknown AWS reference '{expression}'; expected aws:ssm: or aws:imds:")


def references(value: Any) -> Iterator[tuple[tuple[str | int, ...], Reference | ExpressionError]]:
    """Every reference in a (nested) value, with its path inside the value; parse errors are
    yielded in place of a reference so validation can report all of them."""
    if isinstance(value, str):
        for match in EXPRESSION.finditer(value):
            try:
                yield (), parse(match.group(1))
            except ExpressionError as error:
                yield (), error
        if "{{" in EXPRESSION.sub("", value):
            yield (), ExpressionError("'{{' without a matching '}}'")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            for path, found in references(item):
                yield (str(key), *path), found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            for path, found in references(item):
                yield (index, *path), found


Lookup = Callable[[Reference], str | None]  # None: leave the expression as written


def substitute(value: Any, lookup: Lookup) -> Any:
    """value with every `{{ }}` replaced; lists and mappings are walked."""
    if isinstance(value, str):
        if "{{" not in value:
            return value

        def replace(match: re.Match[str]) -> str:
            found = lookup(parse(match.group(1)))
            return match.group(0) if found is None else found

        return EXPRESSION.sub(replace, value)
    if isinstance(value, Mapping):
        return {key: substitute(item, lookup) for key, item in value.items()}
    if isinstance(value, list):
        return [substitute(item, lookup) for item in value]
    return value


def chained_value(records: list[dict[str, Any]], path: tuple[str | int, ...]) -> str:
    """The value at path (index first) in a list of input/output mappings, as text."""
    return as_text(value_at(records, path))


def value_at(node: Any, path: Sequence[str | int]) -> Any:
    """The value at path (list indexes and mapping keys) in a nested value, or None."""
    for key in path:
        if isinstance(key, int) != isinstance(node, list):
            return None
        try:
            node = node[key]
        except (KeyError, IndexError, TypeError):
            return None
    return node


def as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "\n".join(as_text(item) for item in value)
    return str(value)


def aws_value(reference: Reference, variables: Mapping[str, str]) -> str:
    """A value only AWS can give, from the variables file, or NeedsAwsError."""
    key = reference.name
    if reference.kind == "context":
        key = f"context:{reference.name}"
    if key in variables:
        return variables[key]
    resolve = _SSM_RESOLVE.match(key)
    if resolve:
        inner = resolve["name"]
        inner_key = inner if inner.startswith("aws:ssm:") else f"aws:ssm:{inner}"
        if inner_key in variables:
            return variables[inner_key]
    raise NeedsAwsError(
        f"'{{{{ {reference.text} }}}}' needs AWS, which cannot be reached from here",
        hint=f"supply the value in a --variables-file, e.g. a YAML line '{key}: VALUE'",
    )

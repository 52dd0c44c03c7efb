"""Any document text, valid or not, loads or gives a ConfigError; any expression parses or gives
an ExpressionError. Never anything else."""

from __future__ import annotations

import contextlib
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from imagewright.errors import ConfigError
from imagewright.toe import conditions, expressions
from imagewright.toe.actions import Platform
from imagewright.toe.document import check_text

FIELDS = [
    "name",
    "description",
    "schemaVersion",
    "parameters",
    "constants",
    "phases",
    "steps",
    "action",
    "inputs",
    "timeoutSeconds",
    "onFailure",
    "maxAttempts",
    "disableLogging",
    "if",
    "loop",
    "for",
    "forEach",
    "start",
    "end",
    "updateBy",
    "list",
    "delimiter",
    "commands",
    "path",
    "value",
    "stringEquals",
    "and",
    "or",
    "not",
    "then",
    "else",
    "type",
    "default",
]
ACTIONS = ["ExecuteBash", "Assert", "CreateFile", "ExecuteDocument", "Reboot", "UpdateOS", "X"]
TEXT = st.sampled_from(
    [
        "build",
        "validate",
        "{{ A }}",
        "{{ build.S.outputs.stdout }}",
        "{{",
        "}}",
        "{{ loop.value }}",
        "1.0",
        "",
        "Abort",
        "string",
        "a,b",
        "{{ aws:ssm:/x }}",
        "{{ env:HOME }}",
    ]
) | st.text(max_size=12)
SCALARS = st.none() | st.booleans() | st.integers(-3, 8000) | st.floats(allow_nan=False) | TEXT


def values(depth: int) -> st.SearchStrategy[Any]:
    if depth == 0:
        return SCALARS
    inner = values(depth - 1)
    return (
        SCALARS
        | st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=6), inner, max_size=4)
    )


def step() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"name": st.sampled_from(["S", "T", "bad name"]), "action": st.sampled_from(ACTIONS)},
        optional={
            "inputs": values(2),
            "if": values(2),
            "loop": values(2),
            "onFailure": TEXT,
            "maxAttempts": SCALARS,
            "timeoutSeconds": SCALARS,
        },
    )


DOCUMENTS = st.fixed_dictionaries(
    {
        "schemaVersion": st.sampled_from([1.0, "1.0", 2, None]),
        "phases": st.lists(
            st.fixed_dictionaries(
                {
                    "name": st.sampled_from(["build", "validate", "x"]),
                    "steps": st.lists(step(), max_size=3),
                }
            ),
            max_size=2,
        ),
    },
    optional={"parameters": values(2), "constants": values(2), "extra": values(1)},
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(DOCUMENTS)
def test_structured_documents_load_or_give_config_errors(document: dict[str, Any]) -> None:
    try:
        check_text(json.dumps(document), "fuzz.json", Platform.linux)
    except ConfigError as error:
        assert error.problems
        assert all(str(p) for p in error.problems)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_text_loads_or_gives_config_errors(text: str) -> None:
    with contextlib.suppress(ConfigError):
        check_text(text, "fuzz.yml", None)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=60))
def test_expressions_parse_or_give_expression_errors(text: str) -> None:
    with contextlib.suppress(expressions.ExpressionError):
        expressions.parse(text)
    for _, found in expressions.references(text):
        assert isinstance(found, expressions.Reference | expressions.ExpressionError)


@settings(max_examples=300, deadline=None)
@given(values(3))
def test_condition_checks_never_raise(expression: Any) -> None:
    conditions.check(expression)

from __future__ import annotations

from pathlib import Path

import pytest

from imagewright.config.yamlload import StrictModel, parse_yaml, validate
from imagewright.errors import ConfigError


class Inner(StrictModel):
    name: str
    count: int = 0


class Outer(StrictModel):
    items: list[Inner]


def test_unknown_field_has_line_and_suggestion() -> None:
    text = "items:\n  - name: a\n  - name: b\n    cuont: 3\n"
    with pytest.raises(ConfigError) as error:
        validate(Outer, parse_yaml(text, "f.yml"), "f.yml")
    problem = error.value.problems[0]
    assert (problem.line, problem.column) == (4, 5)
    assert problem.field == "items[1].cuont"
    assert problem.suggestion == "count"
    assert str(problem).startswith("f.yml:4:5: items[1].cuont")


def test_wrong_type_and_missing() -> None:
    text = "items:\n  - count: many\n"
    with pytest.raises(ConfigError) as error:
        validate(Outer, parse_yaml(text, Path("g.yml")), Path("g.yml"))
    messages = {p.field: p.message for p in error.value.problems}
    assert "items[0].name" in messages
    assert "items[0].count" in messages


def test_syntax_error_has_position() -> None:
    with pytest.raises(ConfigError) as error:
        parse_yaml("a: [1, 2\nb: 3\n", "h.yml")
    assert error.value.problems[0].line is not None


def test_duplicate_key_is_an_error() -> None:
    with pytest.raises(ConfigError):
        parse_yaml("a: 1\na: 2\n", "d.yml")

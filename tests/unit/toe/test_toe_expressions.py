"""`{{ }}` parsing and substitution, and every comparison and logical operator."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from imagewright.errors import NeedsAwsError
from imagewright.toe import conditions, expressions
from imagewright.toe.expressions import ExpressionError, Reference, parse


def test_parse_every_form() -> None:
    assert parse(" Name ") == Reference("Name", "variable", name="Name")
    chain = parse("build.Step.inputs[2].path")
    assert (chain.kind, chain.phase, chain.step, chain.part, chain.path) == (
        "chain",
        "build",
        "Step",
        "inputs",
        (2, "path"),
    )
    assert parse("build.Step.outputs.stdout").path == (0, "stdout")
    assert parse("validate.S.outputs[0].files").path == (0, "files")
    assert parse("loop.index") == Reference("loop.index", "loop", name="loop", part="index")
    assert parse("pkg.value").name == "pkg"
    assert parse("env:ProgramFiles(x86)").name == "ProgramFiles(x86)"
    assert parse("context:osVersion").kind == "context"
    assert parse("aws:ssm:/app/key").kind == "aws"
    assert parse("aws:ssm:resolve(ParamName)").kind == "aws"
    assert parse("aws:imds:placement/region").kind == "aws"
    for bad in ("", "a b", "context:nope", "aws:imds:iam/security-credentials", "aws:s3:x", "env:"):
        with pytest.raises(ExpressionError):
            parse(bad)


def test_substitute_walks_values_and_leaves_unknown_loops() -> None:
    def lookup(reference: Reference) -> str | None:
        return None if reference.kind == "loop" else reference.name.upper()

    value = {"a": ["x {{ one }} y", "{{two}}"], "b": 3, "c": "{{ loop.value }}"}
    assert expressions.substitute(value, lookup) == {
        "a": ["x ONE y", "TWO"],
        "b": 3,
        "c": "{{ loop.value }}",
    }


def test_references_report_unbalanced_braces() -> None:
    found = [f for _, f in expressions.references(["ok {{ A }}", "broken {{ B"])]
    assert isinstance(found[0], Reference)
    assert isinstance(found[1], ExpressionError)


def test_chained_values() -> None:
    records = [{"stdout": "hi", "list": ["a", "b"], "flag": True}]
    assert expressions.chained_value(records, (0, "stdout")) == "hi"
    assert expressions.chained_value(records, (0, "list")) == "a\nb"
    assert expressions.chained_value(records, (0, "flag")) == "true"
    assert expressions.chained_value(records, (1, "stdout")) == ""
    assert expressions.chained_value(records, (0, "missing")) == ""


def test_aws_values_need_a_variables_file() -> None:
    reference = parse("aws:ssm:/app/key")
    with pytest.raises(NeedsAwsError, match="needs AWS"):
        expressions.aws_value(reference, {})
    assert expressions.aws_value(reference, {"aws:ssm:/app/key": "v"}) == "v"
    assert expressions.aws_value(parse("context:region"), {"context:region": "eu-west-1"}) == (
        "eu-west-1"
    )


class HostProbe:
    def binary_exists(self, name: str) -> bool:
        return shutil.which(name) is not None

    def host_path(self, path: str) -> Path:
        return Path(path)


def truth(expression: dict[str, object]) -> bool:
    assert not conditions.check(expression), conditions.check(expression)
    return conditions.evaluate(expression, HostProbe())


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ({"stringIsEmpty": ""}, True),
        ({"stringIsEmpty": " "}, False),
        ({"stringIsWhitespace": "  "}, True),
        ({"stringIsWhitespace": ""}, False),
        ({"stringEquals": "Hello", "value": "hello"}, True),
        ({"stringEquals": "a", "value": "a "}, False),
        ({"stringLessThan": "b", "value": "a"}, True),
        ({"stringLessThan": "a", "value": "a"}, False),
        ({"stringLessThanEquals": "a", "value": "A"}, True),
        ({"stringGreaterThan": "a", "value": "b"}, True),
        ({"stringGreaterThanEquals": "b", "value": "b"}, True),
        ({"stringGreaterThan": "a", "value": "1"}, False),
        ({"patternMatches": "^[a-z]+$", "value": "ThisIsValue"}, True),
        ({"patternMatches": "^[0-9]+$", "value": "12a"}, False),
        ({"numberEquals": 3, "value": "3.0"}, True),
        ({"numberLessThan": 2, "value": 1}, True),
        ({"numberLessThan": 2, "value": 2}, False),
        ({"numberLessThanEquals": "2", "value": "2"}, True),
        ({"numberGreaterThan": 1.5, "value": "1.50001"}, True),
        ({"numberGreaterThanEquals": -1, "value": "-1"}, True),
        ({"numberEquals": 1, "value": "one"}, False),
        ({"numberEquals": 0.1, "value": "0.10000000000000000001"}, False),
        ({"binaryExists": "sh"}, True),
        ({"binaryExists": "no-such-program-here"}, False),
        ({"fileExists": "/etc/passwd"}, True),
        ({"fileExists": "/etc"}, False),
        ({"folderExists": "/etc"}, True),
        ({"folderExists": "/etc/passwd"}, False),
        ({"and": [{"stringIsEmpty": ""}, {"stringIsEmpty": "x"}]}, False),
        ({"and": [{"stringIsEmpty": ""}, {"folderExists": "/"}]}, True),
        ({"or": [{"stringIsEmpty": "x"}, {"stringIsEmpty": ""}]}, True),
        ({"or": [{"stringIsEmpty": "x"}]}, False),
        ({"not": {"stringIsEmpty": "x"}}, True),
        ({"not": [{"stringIsEmpty": ""}]}, False),
    ],
)
def test_operators(expression: dict[str, object], expected: bool) -> None:
    assert truth(expression) is expected


def test_file_hashes(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"content")
    for operator, algorithm in conditions.HASHES.items():
        digest = hashlib.new(algorithm, b"content").hexdigest()
        assert truth({operator: digest.upper(), "path": str(path)})
        assert not truth({operator: "0" * len(digest), "path": str(path)})
        assert not truth({operator: digest, "path": str(tmp_path / "missing")})


def test_structure_problems() -> None:
    assert (
        conditions.check({"stringEquals": "a"})[0].message == "stringEquals needs a sibling 'value'"
    )
    assert conditions.check({"stringIsEmpty": "a", "value": "b"})
    assert conditions.check({"not": [{"stringIsEmpty": ""}, {"stringIsEmpty": ""}]})
    assert conditions.check({"and": "x"})
    assert conditions.check({"numberEqual": 1, "value": 1})[0].suggestion == "numberEquals"
    assert conditions.check({"stringIsEmpty": "", "fileExists": "x"})
    assert conditions.check("text")

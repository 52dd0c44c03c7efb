"""Lint inputs, detected by content, read into one resource graph."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from imagewright.config.yamlload import read_text_file
from imagewright.errors import ConfigError, Problem
from imagewright.policy.graph import Graph
from imagewright.policy.inputs.awscli import is_cli_output, read_cli_output
from imagewright.policy.inputs.cloudformation import is_template, load_template_text, read_template
from imagewright.policy.inputs.imagewright import local_references, read_document


def read_input(path: Path) -> Graph:
    text = read_text_file(path)
    try:
        tree = load_template_text(text, path)
    except ConfigError:
        if not text.lstrip().startswith(("{", "[")):
            raise
        tree = _json_without_positions(text, path)
    if is_template(tree):
        return read_template(tree, path)
    if is_cli_output(tree):
        try:
            return read_cli_output(tree, path)
        except (ValueError, TypeError, AttributeError, KeyError) as e:
            raise ConfigError(
                Problem(f"not the JSON the AWS CLI prints: {e!r}", file=path),
                hint="save the output of the aws command unchanged (--output json)",
            ) from e
    return read_document(tree, path)


def _json_without_positions(text: str, path: Path) -> object:
    """JSON that YAML rejects (tabs): read it without line numbers rather than not at all."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ConfigError(
            Problem(f"not valid JSON: {e.msg}", file=path, line=e.lineno, column=e.colno)
        ) from e


def read_inputs(paths: Iterable[Path]) -> Graph:
    """Every input, and the files imagewright recipes and pipelines name, each read once."""
    graph = Graph()
    queue = list(paths)
    seen: set[Path] = set()
    errors: list[ConfigError] = []
    while queue:
        path = queue.pop(0)
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        try:
            read = read_input(path)
        except ConfigError as error:
            errors.append(error)  # the problems of every file are reported together
            continue
        graph.merge(read)
        queue.extend(local_references(read))
    if errors:
        raise ConfigError(
            [problem for error in errors for problem in error.problems],
            hint=next((e.hint for e in errors if e.hint), None),
        )
    return graph

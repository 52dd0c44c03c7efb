"""YAML/JSON loading with positions, and pydantic validation turned into file:line problems.

Every configuration file (component documents, recipes, policies, lint inputs) is read here so
that every error names the file, the line and column, the field path and what was expected.
"""

from __future__ import annotations

import os
import stat
import types
import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from imagewright.errors import ConfigError, Problem
from imagewright.registry import suggest

ModelT = TypeVar("ModelT", bound=BaseModel)
Loc = Sequence[str | int]


class StrictModel(BaseModel):
    """Base of configuration models: unknown fields are errors, aliases are the file's names."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    return yaml


def parse_yaml(text: str, source: Path | str) -> Any:
    """Parse YAML (or JSON) text keeping positions; syntax errors become ConfigError."""
    try:
        return _yaml().load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise ConfigError(
            Problem(
                f"not valid YAML: {e.problem or e.context}",
                file=source,
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
            )
        ) from e
    except YAMLError as e:
        raise ConfigError(Problem(f"not valid YAML: {e}", file=source)) from e


def read_text_file(path: Path, what: str = "file") -> str:
    """The UTF-8 text of a regular file given by the user; anything else is a ConfigError.

    Opened without blocking so that a FIFO or a device is refused instead of read forever.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError as e:
        raise ConfigError(Problem(f"{what} not found", file=path)) from e
    except OSError as e:
        raise ConfigError(Problem(f"cannot read the {what}: {e.strerror}", file=path)) from e
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        kind = "a folder" if stat.S_ISDIR(mode) else "a FIFO, socket or device"
        raise ConfigError(Problem(f"is {kind}; expected a {what}", file=path))
    with open(fd, "rb") as handle:
        try:
            return handle.read().decode("utf-8")
        except OSError as e:
            raise ConfigError(Problem(f"cannot read the {what}: {e.strerror}", file=path)) from e
        except UnicodeDecodeError as e:
            raise ConfigError(
                Problem(f"is not UTF-8 text (invalid byte at offset {e.start})", file=path)
            ) from e


def read_yaml(path: Path) -> Any:
    return parse_yaml(read_text_file(path), path)


def plain(node: Any) -> Any:
    """The tree with ruamel's containers and scalars turned into plain Python values."""
    if isinstance(node, dict):
        return {
            str(k) if not isinstance(k, str | int | float | bool) else k: plain(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [plain(v) for v in node]
    if isinstance(node, bool | type(None)):
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def position(tree: Any, loc: Loc) -> tuple[int | None, int | None]:
    """1-based line and column of the deepest node of loc that the tree knows."""
    line: int | None = None
    column: int | None = None
    node = tree
    for key in loc:
        if isinstance(node, CommentedMap) and key in node:
            line, column = node.lc.key(key)
            line, column = line + 1, column + 1
            node = node[key]
        elif isinstance(node, CommentedSeq) and isinstance(key, int) and 0 <= key < len(node):
            line, column = node.lc.item(key)
            line, column = line + 1, column + 1
            node = node[key]
        else:
            break
    if line is None and isinstance(tree, CommentedMap | CommentedSeq):
        line, column = tree.lc.line + 1, tree.lc.col + 1
    return line, column


def field_path(loc: Loc) -> str:
    text = ""
    for key in loc:
        if isinstance(key, int):
            text += f"[{key}]"
        else:
            text += f".{key}" if text else str(key)
    return text


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for argument in typing.get_args(annotation):
        found += _models_in(argument)
    if isinstance(annotation, types.UnionType):
        for argument in annotation.__args__:
            found += [m for m in _models_in(argument) if m not in found]
    return found


def model_at(model: type[BaseModel], loc: Loc) -> type[BaseModel] | None:
    """The model class that validates the mapping at loc, when it can be told statically."""
    current: type[BaseModel] | None = model
    for key in loc:
        if current is None:
            return None
        if isinstance(key, int):
            continue
        field = next(
            (f for name, f in current.model_fields.items() if key in (name, f.alias)), None
        )
        if field is None:
            return None
        candidates = _models_in(field.annotation)
        current = candidates[0] if candidates else None
    return current


def field_names(model: type[BaseModel]) -> list[str]:
    return [f.alias or name for name, f in model.model_fields.items()]


def validation_message(item: Any) -> str:
    """pydantic's message for one error, without its "Value error, " prefix or class names."""
    if item["type"] == "value_error":
        return str(item["ctx"]["error"])
    if item["type"] in ("model_type", "model_attributes_type", "dict_type"):
        return "expected a mapping"
    return str(item["msg"])


def problems_from(
    error: ValidationError, tree: Any, source: Path | str, model: type[BaseModel]
) -> list[Problem]:
    problems: list[Problem] = []
    for item in error.errors(include_url=False):
        loc = [part for part in item["loc"] if not _is_union_tag(part)]
        line, column = position(tree, loc)
        suggestion = None
        message = validation_message(item)
        if item["type"] == "extra_forbidden":
            owner = model_at(model, loc[:-1])
            allowed = field_names(owner) if owner else []
            suggestion = suggest(str(loc[-1]), allowed) if allowed else None
            message = "unknown field" + (
                f"; expected one of: {', '.join(allowed)}" if allowed and not suggestion else ""
            )
        elif item["type"] == "missing":
            message = "required field is missing"
        problems.append(
            Problem(
                message,
                file=source,
                line=line,
                column=column,
                field=field_path(loc),
                suggestion=suggestion,
            )
        )
    return problems


def _is_union_tag(part: str | int) -> bool:
    # pydantic puts the chosen union member's name into loc (e.g. 'list[str]'); it is no field.
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "float", "bool"})


def validate(model: type[ModelT], tree: Any, source: Path | str) -> ModelT:
    """Validate a loaded tree against a model; every problem becomes a file:line ConfigError."""
    try:
        return model.model_validate(plain(tree))
    except ValidationError as e:
        raise ConfigError(problems_from(e, tree, source, model)) from e


def load_model(model: type[ModelT], path: Path) -> ModelT:
    return validate(model, read_yaml(path), path)

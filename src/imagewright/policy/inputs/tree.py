"""Walking a loaded YAML/JSON tree into plain values while noting the line of every field."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from imagewright.config.yamlload import field_path, plain

Path_ = list[str | int]


def node_line(node: Any) -> int | None:
    if isinstance(node, CommentedMap | CommentedSeq):
        return int(node.lc.line) + 1
    return None


def key_line(mapping: Any, key: Any) -> int | None:
    if isinstance(mapping, CommentedMap) and key in mapping:
        return int(mapping.lc.key(key)[0]) + 1
    return None


def item_line(sequence: Any, index: int) -> int | None:
    if isinstance(sequence, CommentedSeq) and 0 <= index < len(sequence):
        return int(sequence.lc.item(index)[0]) + 1
    return None


def walk(
    node: Any,
    lines: dict[str, int],
    path: Path_ | None = None,
    rename: Callable[[str], str] = str,
) -> Any:
    """Plain values of node with keys renamed; lines[field path] = line of each key or item."""
    path = path or []
    if isinstance(node, dict):
        result: dict[str, Any] = {}
        for key, value in node.items():
            name = rename(str(key))
            line = key_line(node, key)
            if line is not None:
                lines[field_path([*path, name])] = line
            result[name] = walk(value, lines, [*path, name], rename)
        return result
    if isinstance(node, list):
        items = []
        for index, value in enumerate(node):
            line = item_line(node, index)
            if line is not None:
                lines[field_path([*path, index])] = line
            items.append(walk(value, lines, [*path, index], rename))
        return items
    return plain(node)

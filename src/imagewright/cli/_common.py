"""Options shared by the catalog verbs (build, images, components, cleanup)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from imagewright.pipeline.catalog import Catalog


def add_state_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="catalog and cache folder (default /var/lib/imagewright as root, "
        "$XDG_STATE_HOME/imagewright otherwise)",
    )


def check_output(path: Path | None, option: str) -> None:
    """Refuse a report destination that cannot be written before the work starts."""
    from imagewright.errors import ConfigError, Problem

    if path is None or str(path) == "-":
        return
    if path.is_dir():
        raise ConfigError(Problem("is a folder; expected a file name", file=path, field=option))
    if not path.parent.is_dir():
        raise ConfigError(Problem("its parent is not an existing folder", file=path, field=option))


def write_output(path: Path, text: str, option: str) -> None:
    from imagewright.errors import ConfigError, Problem

    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise ConfigError(Problem(f"cannot write: {e.strerror}", file=path, field=option)) from e


def open_catalog(args: argparse.Namespace) -> Catalog:
    from imagewright.pipeline.catalog import Catalog

    return Catalog(args.state_dir)


def print_json(data: Any) -> None:
    print(json.dumps(data, indent=2, sort_keys=True))


def print_table(title: str, columns: list[str], rows: list[list[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    Console(width=None if _is_terminal() else 200).print(table)


def _is_terminal() -> bool:
    import sys

    return sys.stdout.isatty()

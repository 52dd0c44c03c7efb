"""Logging set-up and user-visible progress.

Human output goes to stderr: through rich on a terminal, as plain lines otherwise. Machine output
(JSON, reports) is written by `cli/` to stdout or files only.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("imagewright")

_depth = 0


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def setup_logging(verbosity: int = 0, *, quiet: bool = False) -> None:
    """Configure the root imagewright logger once per process."""
    level = logging.WARNING if quiet else logging.DEBUG if verbosity > 0 else logging.INFO
    handler: logging.Handler
    if stderr_is_terminal():
        # rich is imported only here: `imagewright --help` must stay fast.
        from rich.console import Console
        from rich.logging import RichHandler

        handler = RichHandler(
            console=Console(stderr=True),
            show_time=False,
            show_path=False,
            markup=False,
            rich_tracebacks=False,
        )
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    root = logging.getLogger("imagewright")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


@contextmanager
def step(title: str) -> Iterator[None]:
    """A user-visible stage: logs its title, then its duration (or that it failed)."""
    global _depth
    indent = "  " * _depth
    log.info("%s%s", indent, title)
    started = time.monotonic()
    _depth += 1
    try:
        yield
    except BaseException:
        log.info("%s%s failed after %.1f s", indent, title, time.monotonic() - started)
        raise
    finally:
        _depth -= 1
    log.info("%s%s done in %.1f s", indent, title, time.monotonic() - started)

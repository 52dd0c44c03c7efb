"""AWSTOE's log folder (awstoe.md §4.5): `TOE_<YYYY-MM-DD>_<HH-MM-SS>_UTC-0_<executionId>/` with
console.log, application.log, detailedoutput.json, chaining.json and document.yaml.

Formats where AWSTOE's are undocumented: console.log holds the runner's step lines and every
line the steps print, prefixed with the stream for stderr; application.log is the debug log with
UTC timestamps; chaining.json is a list of {document, phase, step, expression, value};
document.yaml holds every document of the run as one YAML stream, each preceded by a comment
naming its file. Steps with `disableLogging: true` print nothing to console.log and their
values are replaced by "<disableLogging>" in detailedoutput.json and chaining.json.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import time
from pathlib import Path
from typing import Any, TextIO

HIDDEN = "<disableLogging>"


def folder_name(execution_id: str, at: dt.datetime) -> str:
    utc = at.astimezone(dt.UTC)
    return f"TOE_{utc:%Y-%m-%d}_{utc:%H-%M-%S}_UTC-0_{execution_id}"


def timestamp() -> str:
    """RFC 3339 with the local UTC offset, as detailedoutput.json writes them."""
    return dt.datetime.now().astimezone().isoformat(timespec="seconds")


class _UtcFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        utc = time.gmtime(record.created)
        return time.strftime("%Y-%m-%dT%H:%M:%S", utc) + f".{int(record.msecs):03d}Z"


class LogFolder:
    """The files of one execution. Open with `with LogFolder(...)`: application.log then
    receives imagewright's debug log until the run ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._console: TextIO | None = None
        self._handler: logging.Handler | None = None
        self._lock = threading.Lock()
        self.chaining: list[dict[str, str]] = []

    @classmethod
    def create(cls, parent: Path, execution_id: str) -> LogFolder:
        path = parent.absolute() / folder_name(execution_id, dt.datetime.now(dt.UTC))
        path.mkdir(parents=True, exist_ok=True)
        return cls(path)

    def __enter__(self) -> LogFolder:
        self.path.mkdir(parents=True, exist_ok=True)
        self._console = (self.path / "console.log").open("a", encoding="utf-8")
        handler = logging.FileHandler(self.path / "application.log", encoding="utf-8")
        handler.setLevel(logging.DEBUG)
        handler.setFormatter(_UtcFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root = logging.getLogger("imagewright")
        root.addHandler(handler)
        # application.log is the debug log; the other handlers keep showing what they showed.
        self._previous = (root.level, [(h, h.level) for h in root.handlers if h is not handler])
        for other, level in self._previous[1]:
            other.setLevel(max(level, root.getEffectiveLevel()))
        root.setLevel(logging.DEBUG)
        self._handler = handler
        return self

    def __exit__(self, *exc: object) -> None:
        root = logging.getLogger("imagewright")
        if self._handler is not None:
            root.removeHandler(self._handler)
            self._handler.close()
            root.setLevel(self._previous[0])
            for other, level in self._previous[1]:
                other.setLevel(level)
        if self._console is not None:
            self._console.close()
            self._console = None

    def console(self, line: str) -> None:
        if self._console is None:
            return
        with self._lock:
            self._console.write(line if line.endswith("\n") else line + "\n")
            self._console.flush()

    def write_documents(self, documents: list[tuple[Path, str]]) -> None:
        parts = []
        for path, text in documents:
            parts.append(f"# {path}\n{text if text.endswith(chr(10)) else text + chr(10)}")
        (self.path / "document.yaml").write_text("---\n".join(parts), encoding="utf-8")

    def record_chaining(
        self, document: str, phase: str, step: str, expression: str, value: str
    ) -> None:
        self.chaining.append(
            {
                "document": document,
                "phase": phase,
                "step": step,
                "expression": expression,
                "value": value,
            }
        )

    def write_chaining(self) -> None:
        (self.path / "chaining.json").write_text(
            json.dumps(self.chaining, indent=2) + "\n", encoding="utf-8"
        )

    def write_detailed_output(self, tree: dict[str, Any]) -> None:
        (self.path / "detailedoutput.json").write_text(
            json.dumps(tree, indent=2) + "\n", encoding="utf-8"
        )

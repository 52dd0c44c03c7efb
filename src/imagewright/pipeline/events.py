"""Build progress: each stage with its duration on the terminal (log.step) and, with
`--json-events`, one JSON object per line on stdout for machines."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from imagewright.log import step

EventWriter = Callable[[str], None]


@dataclass
class Events:
    """Stage bookkeeping for one build; `writer` receives JSON lines (None: no machine output)."""

    writer: EventWriter | None = None
    timings: list[tuple[str, float, str]] = field(default_factory=list)

    def emit(self, event: str, **data: Any) -> None:
        if self.writer is not None:
            self.writer(json.dumps({"event": event, "time": time.time(), **data}, default=str))

    @contextmanager
    def stage(self, title: str) -> Iterator[None]:
        """A user-visible stage: progress line, duration, and started/finished events."""
        self.emit("stage-started", stage=title)
        started = time.monotonic()
        status = "failed"
        try:
            with step(title):
                yield
            status = "succeeded"
        finally:
            seconds = round(time.monotonic() - started, 3)
            self.timings.append((title, seconds, status))
            self.emit("stage-finished", stage=title, status=status, seconds=seconds)

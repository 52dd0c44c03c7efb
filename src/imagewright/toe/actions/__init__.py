"""AWSTOE action modules: one module per family, each action declared once with `@action`.

The runner validates a step's `inputs` against the action's model (one item's model for
list-shaped inputs), resolves expressions, then calls `execute(context, inputs)`. An action
returns its outputs (chaining: `{{ phase.step.outputs.name }}`), raises `StepFailed` when the step
fails, or `RebootRequested` for exit code 194 and the Reboot module.
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel

from imagewright.errors import ImagewrightError
from imagewright.executors.base import Executor
from imagewright.registry import Registry, load_all

Outputs = dict[str, Any]


class Platform(enum.StrEnum):
    linux = "linux"
    windows = "windows"
    macos = "macos"


class InputShape(enum.StrEnum):
    mapping = "mapping"  # inputs: {key: value}; chaining as inputs.key
    list = "list"  # inputs: [{...}, ...]; chaining as inputs[i].key
    optional_mapping = "optional-mapping"  # inputs may be omitted (UpdateOS)


class StepContext(Protocol):
    """What an action may use. The runner provides it; actions never touch the host directly."""

    executor: Executor
    platform: Platform
    step_name: str
    phase_name: str
    document_path: Path | None  # the file the step came from (None for an inline document)
    timeout: float | None  # seconds left for this attempt; None means no limit
    log: logging.Logger

    def console(self, line: str) -> None:
        """Write a line of step output to console.log and the progress display."""
        ...


class InputProblem(Protocol):
    """A problem an action's own input check found (beyond its pydantic model)."""

    @property
    def loc(self) -> tuple[str | int, ...]: ...  # inside the step's inputs

    @property
    def message(self) -> str: ...

    @property
    def suggestion(self) -> str | None: ...


InputCheck = Callable[[Any], Sequence[InputProblem]]


class StepFailed(ImagewrightError):
    """The step did not succeed; the message becomes the step's failureMessage."""


class RebootRequested(ImagewrightError):
    """The step asks for a reboot. rerun_step: exit code 194 re-runs the same step afterwards;
    the Reboot module resumes at the next step."""

    def __init__(self, message: str, *, rerun_step: bool, delay_seconds: int = 0) -> None:
        super().__init__(message)
        self.rerun_step = rerun_step
        self.delay_seconds = delay_seconds


@dataclass(frozen=True, slots=True)
class ActionSpec:
    name: str  # AWSTOE's case-sensitive module name, e.g. "ExecuteBash"
    summary: str
    platforms: frozenset[Platform]
    shape: InputShape
    inputs: type[BaseModel] | None  # the mapping's model, or one list item's model
    outputs: tuple[str, ...]
    execute: Callable[[StepContext, Any], Outputs]
    check: InputCheck | None = None  # extra validation of the raw inputs (e.g. Assert's operators)


ACTIONS: Registry[ActionSpec] = Registry(
    "action module", name_pattern=re.compile(r"^[A-Z][A-Za-z0-9]+$")
)

Execute = Callable[[StepContext, Any], Outputs]


def action(
    name: str,
    *,
    platforms: frozenset[Platform] | set[Platform],
    shape: InputShape,
    inputs: type[BaseModel] | None,
    outputs: tuple[str, ...] = (),
    check: InputCheck | None = None,
) -> Callable[[Execute], Execute]:
    """Declare an action module. The function's docstring's first line is its summary."""

    def register(execute: Execute) -> Execute:
        doc = (execute.__doc__ or "").strip()
        if not doc:
            raise ValueError(f"action {name} needs a docstring")
        ACTIONS.add(
            ActionSpec(
                name=name,
                summary=doc.splitlines()[0],
                platforms=frozenset(platforms),
                shape=shape,
                inputs=inputs,
                outputs=outputs,
                execute=execute,
                check=check,
            )
        )
        return execute

    return register


load_all(__name__)

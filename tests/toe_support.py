"""Test support for action modules: a step context and a way to run one action the way the
runner does (inputs validated by the action's model, then executed)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imagewright.executors.base import Executor
from imagewright.executors.host import HostExecutor
from imagewright.toe.actions import ACTIONS, InputShape, Outputs, Platform


@dataclass
class Context:
    """A StepContext for tests; console lines are kept for assertions."""

    executor: Executor = field(default_factory=HostExecutor)
    platform: Platform = Platform.linux
    step_name: str = "Step"
    phase_name: str = "build"
    document_path: Path | None = None
    timeout: float | None = 60.0
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("test.step"))
    lines: list[str] = field(default_factory=list)

    def console(self, line: str) -> None:
        self.lines.append(line)


def execute(name: str, ctx: Context, inputs: Any) -> Outputs:
    """Validate raw inputs with the action's model, as the runner does, and execute it."""
    spec = ACTIONS.get(name)
    if spec.inputs is None:
        return spec.execute(ctx, None)
    if spec.shape is InputShape.list:
        return spec.execute(ctx, [spec.inputs.model_validate(item) for item in inputs])
    if inputs is None:
        return spec.execute(ctx, None)
    return spec.execute(ctx, spec.inputs.model_validate(inputs))

"""Reboot: restart the target, then resume at the next step."""

from __future__ import annotations

from pydantic import Field

from imagewright.config.yamlload import StrictModel
from imagewright.toe.actions import (
    InputShape,
    Outputs,
    Platform,
    RebootRequested,
    StepContext,
    action,
)


class RebootInput(StrictModel):
    delay_seconds: int = Field(default=0, alias="delaySeconds", ge=0)


@action(
    "Reboot",
    platforms={Platform.linux, Platform.windows, Platform.macos},
    shape=InputShape.optional_mapping,
    inputs=RebootInput,
)
def reboot(ctx: StepContext, inputs: RebootInput | None) -> Outputs:
    """Reboot the machine (simulated unless asked otherwise) and resume at the next step."""
    delay = inputs.delay_seconds if inputs is not None else 0
    raise RebootRequested("Reboot module", rerun_step=False, delay_seconds=delay)

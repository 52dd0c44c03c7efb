"""Assert: the step succeeds when its one operator expression is true."""

from __future__ import annotations

from typing import Any

from pydantic import RootModel

from imagewright.toe import conditions
from imagewright.toe.actions import InputShape, Outputs, Platform, StepContext, StepFailed, action


class AssertInput(RootModel[dict[str, Any]]):
    """The operator expression, e.g. {stringEquals: x, value: y}."""


@action(
    "Assert",
    platforms={Platform.linux, Platform.windows, Platform.macos},
    shape=InputShape.mapping,
    inputs=AssertInput,
    check=conditions.check,
)
def assert_(ctx: StepContext, inputs: AssertInput) -> Outputs:
    """Succeed when a comparison or logical expression is true, fail otherwise."""
    truth = conditions.evaluate(inputs.root, conditions.ExecutorProbe(ctx.executor))
    text = conditions.describe(inputs.root)
    ctx.console(f"Assert {text}: {str(truth).lower()}")
    if not truth:
        raise StepFailed(f"assertion is false: {text}")
    return {}

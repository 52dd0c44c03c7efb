"""ExecuteDocument: run another component document as part of this step.

A relative `document` path is looked up in the current directory first, then next to the
calling document (AWSTOE's base is undocumented; AWS's samples assume the current directory).
S3 and component ARN documents need AWS and fail with a hint to pass a local copy.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import Field

from imagewright.config.yamlload import StrictModel
from imagewright.toe.actions import InputShape, Outputs, Platform, StepContext, StepFailed, action
from imagewright.toe.actions._target import Text


class DocumentParameter(StrictModel):
    name: Text
    value: Text


class ExecuteDocumentInput(StrictModel):
    document: Text
    document_s3_bucket_owner: Text = Field(default="", alias="document-s3-bucket-owner")
    phases: Text = ""
    parameters: list[DocumentParameter] = Field(default_factory=list)


@runtime_checkable
class NestedRunner(Protocol):
    def run_document(
        self, path: Path, *, phases: list[str] | None, parameters: Mapping[str, str]
    ) -> Any: ...


def locate(document: str, calling: Path | None) -> Path:
    if document.startswith(("s3://", "arn:")):
        raise StepFailed(
            f"document {document} needs AWS, which cannot be reached from here; "
            "download it and pass its local path"
        )
    path = Path(document)
    if path.is_absolute() or path.exists() or calling is None:
        return path
    beside = calling.parent / path
    return beside if beside.exists() else path


@action(
    "ExecuteDocument",
    platforms={Platform.linux, Platform.windows, Platform.macos},
    shape=InputShape.mapping,
    inputs=ExecuteDocumentInput,
)
def execute_document(ctx: StepContext, inputs: ExecuteDocumentInput) -> Outputs:
    """Run another component document (nested at most 3 levels) and report its summary."""
    if not isinstance(ctx, NestedRunner):
        raise StepFailed("ExecuteDocument needs the document runner")
    from imagewright.toe.results import Status

    path = locate(inputs.document, ctx.document_path)
    phases = [p.strip() for p in inputs.phases.split(",") if p.strip()] or None
    parameters = {p.name: p.value for p in inputs.parameters}
    result = ctx.run_document(path, phases=phases, parameters=parameters)
    steps = [s for phase in result.phases for s in phase.steps]
    summary = {
        "executedStepCount": sum(s.status is not Status.skipped for s in steps),
        "executionId": "",
        "failedStepCount": sum(s.status is Status.failed for s in steps),
        "failureMessage": result.failure_message,
        "ignoredFailedStepCount": sum(s.status is Status.ignored_failure for s in steps),
        "logUrl": "",
        "status": str(result.status),
    }
    if result.status is Status.failed:
        failed = next(s for s in steps if s.status is Status.failed)
        raise StepFailed(f"{result.failure_message} Step {failed.name}: {failed.failure_message}")
    return summary

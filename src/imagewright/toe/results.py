"""What a run records: statuses, the result tree of documents, phases and steps, the resumable
run state, awstoe's summary and detailedoutput.json."""

from __future__ import annotations

import enum
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from imagewright.toe.logs import HIDDEN


class Status(enum.StrEnum):
    success = "success"
    failed = "failed"
    skipped = "skipped"
    ignored_failure = "ignoredFailure"
    success_with_ignored_failure = "successWithIgnoredFailure"
    rebooting = "rebooting"


class _Record(BaseModel):
    model_config = ConfigDict(populate_by_name=True)


class _Outcome(_Record):
    """What every level of the tree records: its status, why it failed, when it ran."""

    name: str
    status: Status = Status.success
    failure_message: str = Field(default="", alias="failureMessage")
    start_time: str = Field(default="", alias="startTime")
    end_time: str = Field(default="", alias="endTime")


class StepResult(_Outcome):
    action: str
    timeout_seconds: int = Field(alias="timeoutSeconds")
    on_failure: str = Field(alias="onFailure")
    max_attempts: int = Field(alias="maxAttempts")
    attempts: int = 0
    inputs: list[Any] = []
    outputs: list[Any] = []
    loop: dict[str, Any] | None = None
    detailed_output: list[Any] | None = Field(default=None, alias="detailedOutput")
    hidden: bool = False  # disableLogging


class PhaseResult(_Outcome):
    steps: list[StepResult] = []


class DocumentResult(_Outcome):
    file_path: str = Field(alias="filePath")
    description: str = ""
    phases: list[PhaseResult] = []


class Cursor(_Record):
    document: int = 0
    phase: int = 0
    step: int = 0
    condition_passed: bool = False  # resuming a step whose `if` already said Execute


class RunState(_Record):
    """The whole run: options, position and results. Saved as JSON for reboot-and-resume."""

    execution_id: str = Field(alias="executionId")
    status: Status = Status.success
    start_time: str = Field(default="", alias="startTime")
    end_time: str = Field(default="", alias="endTime")
    failure_message: str = Field(default="", alias="failureMessage")
    documents: list[DocumentResult] = []
    document_paths: list[str] = []
    phases: list[str] | None = None
    parameters: dict[str, str] = {}
    document_parameters: list[dict[str, str]] = []
    log_folder: str = ""
    cursor: Cursor = Cursor()
    aborted: bool = False
    reboots: dict[str, int] = {}


@dataclass(frozen=True, slots=True)
class RunSummary:
    """awstoe's JSON summary, plus where the logs are."""

    execution_id: str
    status: Status
    failed_step_count: int
    executed_step_count: int
    ignored_failed_step_count: int
    failure_message: str
    log_folder: Path

    @property
    def succeeded(self) -> bool:
        return self.status in (Status.success, Status.success_with_ignored_failure)

    def as_json(self) -> dict[str, Any]:
        return {
            "executionId": self.execution_id,
            "status": str(self.status),
            "failedStepCount": self.failed_step_count,
            "executedStepCount": self.executed_step_count,
            "ignoredFailedStepCount": self.ignored_failed_step_count,
            "failureMessage": self.failure_message,
            "logUrl": str(self.log_folder),
        }


def combined(statuses: Sequence[Status]) -> Status:
    if any(s is Status.failed for s in statuses):
        return Status.failed
    if any(s in (Status.ignored_failure, Status.success_with_ignored_failure) for s in statuses):
        return Status.success_with_ignored_failure
    return Status.success


def detailed_output(state: RunState) -> dict[str, Any]:
    """detailedoutput.json (awstoe.md §4.5): inputs and outputs as JSON strings of lists."""
    return {
        "executionId": state.execution_id,
        "status": str(state.status),
        "startTime": state.start_time,
        "endTime": state.end_time,
        "failureMessage": state.failure_message,
        "documents": [document_tree(d) for d in state.documents],
    }


def document_tree(document: DocumentResult) -> dict[str, Any]:
    return {
        "name": document.name,
        "filePath": document.file_path,
        "status": str(document.status),
        "description": document.description,
        "startTime": document.start_time,
        "endTime": document.end_time,
        "failureMessage": document.failure_message,
        "phases": [
            {
                "name": phase.name,
                "status": str(phase.status),
                "startTime": phase.start_time,
                "endTime": phase.end_time,
                "failureMessage": phase.failure_message,
                "steps": [step_tree(step) for step in phase.steps],
            }
            for phase in document.phases
        ],
    }


def step_tree(step: StepResult) -> dict[str, Any]:
    def shown(values: list[Any]) -> str:
        return json.dumps([HIDDEN] if step.hidden and values else values)

    return {
        "name": step.name,
        "status": str(step.status),
        "failureMessage": step.failure_message,
        "timeoutSeconds": step.timeout_seconds,
        "onFailure": step.on_failure,
        "maxAttempts": step.max_attempts,
        "attempts": step.attempts,
        "action": step.action,
        "startTime": step.start_time,
        "endTime": step.end_time,
        "inputs": shown(step.inputs),
        "outputs": shown(step.outputs),
        "loop": step.loop,
        "detailedOutput": step.detailed_output,
    }

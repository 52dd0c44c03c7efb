"""Runs component documents the way AWSTOE does (awstoe.md §1.4-1.7, §3, §4).

Documents run in the order given, each one's selected phases in document order, steps in order.
A step: its `if` is evaluated once, then up to maxAttempts attempts, each running every loop
iteration under one timeout; after the last failed attempt onFailure decides (Abort stops the
whole run, Continue goes on but the run fails, Ignore counts as a success).

Everything the run knows is kept in `RunState` (pydantic, JSON in the state directory) so a
reboot can resume it: exit code 194 re-runs the same step, the Reboot module resumes at the next
one, and `if` is not evaluated again. On this host a reboot is simulated by default: the state
is saved, read back and the run continues as after a restart.

Decisions where AWSTOE's documentation is silent (also in docs/toe.md):
- statuses: steps success | failed | ignoredFailure | skipped; phases, documents and the run
  success | failed | successWithIgnoredFailure;
- executedStepCount counts the steps that ran (not the skipped ones) of the top-level
  documents; an ExecuteDocument step counts once;
- `then`/`else` keep their defaults (Execute/Skip) when only one is given; `Abort` fails the step
  and onFailure applies;
- a step may request at most 5 reboots, then it fails (a script that always exits 194 would
  otherwise never end);
- CLI --parameters apply to every top-level document (not to nested ones); names a document does
  not declare are ignored for it; a parameter without default and without value is "".
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import platform as host_platform
import shlex
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from imagewright.errors import ConfigError, ImagewrightError, NeedsAwsError, Problem
from imagewright.executors.base import Executor
from imagewright.toe import conditions, expressions
from imagewright.toe.actions import (
    ACTIONS,
    ActionSpec,
    InputShape,
    Platform,
    RebootRequested,
    StepFailed,
)
from imagewright.toe.document import Document, LoadedDocument, Step, load
from imagewright.toe.logs import HIDDEN, LogFolder, timestamp
from imagewright.toe.results import (
    Cursor,
    DocumentResult,
    PhaseResult,
    RunState,
    RunSummary,
    Status,
    StepResult,
    combined,
    detailed_output,
    document_tree,
)
from imagewright.toe.target import os_release, target_environment, target_hostname

log = logging.getLogger(__name__)
STEP_LOG = logging.getLogger("imagewright.toe.step")

MAX_REBOOTS_PER_STEP = 5
MAX_NESTING = 3  # ExecuteDocument levels below the top document
STATE_FILE = "state.json"


class RebootMode(enum.StrEnum):
    simulate = "simulate"  # save, reload and continue in this process (default)
    exit = "exit"  # save and exit with 194; the next run with the state directory resumes
    host = "host"  # save, arrange a resume at boot and really reboot this machine


class RebootPending(ImagewrightError):
    """The run saved its state for a reboot; run again with the same state directory."""

    exit_code = 194

    def __init__(self, summary: RunSummary, state_directory: Path) -> None:
        super().__init__(
            f"a step requested a reboot; the run is saved in {state_directory}",
            hint=f"after the reboot, run 'imagewright toe run --state-directory {state_directory}'",
        )
        self.summary = summary


@dataclass
class RunOptions:
    executor: Executor
    log_directory: Path
    phases: list[str] | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    document_parameters: list[dict[str, str]] | None = None  # per document, from --config
    execution_id: str | None = None
    state_directory: Path | None = None
    variables: dict[str, str] = field(default_factory=dict)
    reboot: RebootMode = RebootMode.simulate
    resume_command: Sequence[str] = ()  # for RebootMode.host: how to start the run again


def run_documents(
    documents: list[Path],
    *,
    phases: list[str] | None,
    parameters: Mapping[str, str],
    executor: Executor,
    log_directory: Path,
    execution_id: str | None = None,
    state_directory: Path | None = None,
    variables: Mapping[str, str] | None = None,
) -> RunSummary:
    """Run documents on executor (the build pipeline's entry point). Problems with the documents
    raise ConfigError before any step runs; a failing step gives a failed RunSummary."""
    options = RunOptions(
        executor=executor,
        log_directory=log_directory,
        phases=phases,
        parameters=dict(parameters),
        execution_id=execution_id,
        state_directory=state_directory,
        variables=dict(variables or {}),
    )
    return Execution.start(documents, options).run()


def saved_run(state_directory: Path) -> RunState | None:
    """The interrupted run kept in state_directory, if any."""
    path = state_directory / STATE_FILE
    if not path.is_file():
        return None
    try:
        state = RunState.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, OSError) as e:
        raise ConfigError(
            Problem(f"the saved run cannot be read: {e}", file=path),
            hint="remove the state directory to start afresh",
        ) from e
    return state if state.status is Status.rebooting else None


class Execution:
    """One top-level run (resumable)."""

    def __init__(
        self, state: RunState, options: RunOptions, documents: list[LoadedDocument]
    ) -> None:
        self.state = state
        self.options = options
        self.documents = documents
        self.logs = LogFolder(Path(state.log_folder))

    @classmethod
    def start(cls, paths: list[Path], options: RunOptions) -> Execution:
        documents = [load(path) for path in paths]
        execution_id = options.execution_id or str(uuid.uuid4())
        per_document = options.document_parameters or [{} for _ in documents]
        for loaded, own in zip(documents, per_document, strict=True):
            preflight(loaded.document, options.variables, {**options.parameters, **own})
        logs = LogFolder.create(options.log_directory, execution_id)
        logs.write_documents([(d.path, d.text) for d in documents])
        state = RunState(
            executionId=execution_id,
            startTime=timestamp(),
            document_paths=[str(p) for p in paths],
            phases=options.phases,
            parameters=options.parameters,
            document_parameters=per_document,
            log_folder=str(logs.path),
        )
        return cls(state, options, documents)

    @classmethod
    def resume(cls, state: RunState, options: RunOptions) -> Execution:
        documents = [load(Path(p)) for p in state.document_paths]
        log.warning("resuming execution %s from its saved state after a reboot", state.execution_id)
        return cls(state, options, documents)

    # --- the run ------------------------------------------------------------------------------

    def run(self) -> RunSummary:
        with self.logs:
            while True:
                try:
                    self._run_from_cursor()
                    break
                except _Reboot as reboot:
                    if not self._reboot(reboot):
                        return self._pending()
            self._finish()
            return self.summary()

    def _run_from_cursor(self) -> None:
        state = self.state
        selected = set(state.phases) if state.phases is not None else None
        while state.cursor.document < len(self.documents) and not state.aborted:
            index = state.cursor.document
            loaded = self.documents[index]
            if len(state.documents) <= index:
                state.documents.append(
                    DocumentResult(
                        name=loaded.document.name or loaded.path.stem,
                        filePath=str(loaded.path),
                        description=loaded.document.description or "",
                        startTime=timestamp(),
                    )
                )
            parameters = {**state.parameters, **state.document_parameters[index]}
            scope = DocumentScope(
                loaded, parameters, self.options, self.logs, execution_id=state.execution_id
            )
            runner = PhaseRunner(scope, state.documents[index], self.options, self, depth=0)
            aborted = runner.run(selected, state.cursor)
            state.documents[index].end_time = timestamp()
            if aborted:
                state.aborted = True
                break
            state.cursor = Cursor(document=index + 1)

    def _reboot(self, reboot: _Reboot) -> bool:
        """Save the run for a reboot; True when it continues in this process."""
        state = self.state
        key = f"{reboot.cursor.document}/{reboot.phase}/{reboot.step}"
        state.reboots[key] = state.reboots.get(key, 0) + 1
        state.cursor = reboot.cursor
        state.status = Status.rebooting
        directory = self._state_directory()
        directory.mkdir(parents=True, exist_ok=True)
        (directory / STATE_FILE).write_text(state.model_dump_json(by_alias=True, indent=2))
        self._write_detailed_output()
        mode = self.options.reboot
        if mode is RebootMode.simulate:
            log.warning(
                "%s/%s requested a reboot (%s); simulating it: the run resumes from %s as "
                "after a restart",
                reboot.phase,
                reboot.step,
                reboot.reason,
                "the same step" if reboot.rerun else "the next step",
            )
            reloaded = RunState.model_validate_json((directory / STATE_FILE).read_text())
            reloaded.status = Status.success
            self.state = reloaded
            return True
        if mode is RebootMode.host:
            reboot_host(self.options, directory, reboot.delay)
        return False

    def _state_directory(self) -> Path:
        return self.options.state_directory or Path(self.state.log_folder) / "state"

    def _pending(self) -> RunSummary:
        summary = self.summary()
        raise RebootPending(summary, self._state_directory())

    def _finish(self) -> None:
        state = self.state
        state.end_time = timestamp()
        for document in state.documents:
            for phase in document.phases:
                phase.status = combined([s.status for s in phase.steps])
                failed = [s for s in phase.steps if s.status is Status.failed]
                phase.failure_message = "; ".join(f"Step {s.name} failed" for s in failed)
            document.status = combined([p.status for p in document.phases])
            if document.status is Status.failed:
                document.failure_message = f"Document {document.file_path} failed!"
        state.status = combined([d.status for d in state.documents])
        failures = [
            f"{d.failure_message} {p.name}/{s.name}: {first_line(s.failure_message)}"
            for d in state.documents
            for p in d.phases
            for s in p.steps
            if s.status is Status.failed
        ]
        state.failure_message = failures[0] if failures else ""
        self._write_detailed_output()
        self.logs.write_chaining()
        directory = self._state_directory()
        (directory / STATE_FILE).unlink(missing_ok=True)
        if self.options.state_directory is None and directory.is_dir():
            directory.rmdir()

    def _write_detailed_output(self) -> None:
        self.logs.write_detailed_output(detailed_output(self.state))

    def summary(self) -> RunSummary:
        steps = [s for d in self.state.documents for p in d.phases for s in p.steps]
        return RunSummary(
            execution_id=self.state.execution_id,
            status=self.state.status,
            failed_step_count=sum(s.status is Status.failed for s in steps),
            executed_step_count=sum(s.status is not Status.skipped for s in steps),
            ignored_failed_step_count=sum(s.status is Status.ignored_failure for s in steps),
            failure_message=self.state.failure_message,
            log_folder=Path(self.state.log_folder),
        )


class _Reboot(Exception):
    def __init__(
        self, cursor: Cursor, phase: str, step: str, *, rerun: bool, delay: int, reason: str
    ) -> None:
        super().__init__(reason)
        self.cursor = cursor
        self.phase = phase
        self.step = step
        self.rerun = rerun
        self.delay = delay
        self.reason = reason


def first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else ""


def preflight(
    document: Document, variables: Mapping[str, str], parameters: Mapping[str, str]
) -> None:
    """Stop before any step when the document needs AWS values nobody supplied."""
    defaults = document.parameter_defaults()
    given = {k: v for k, v in parameters.items() if k in defaults}
    declared = {**defaults, **given, **document.constant_values()}
    for phase in document.phases:
        for step in phase.steps:
            for value in (step.inputs, step.condition, step.loop and step.loop.model_dump()):
                for _, reference in expressions.references(value):
                    if isinstance(reference, expressions.Reference):
                        needs_aws(reference, variables, declared)


def needs_aws(
    reference: expressions.Reference, variables: Mapping[str, str], declared: Mapping[str, str]
) -> str | None:
    """The value of an AWS-only reference (from the variables), NeedsAwsError, or None for
    references that do not need AWS."""
    if reference.kind == "context" and reference.name in expressions.AWS_CONTEXT_KEYS:
        return expressions.aws_value(reference, variables)
    if reference.kind != "aws":
        return None
    name = reference.name
    if name.startswith("aws:ssm:resolve(") and name[16:-1] in declared:
        key = f"aws:ssm:{declared[name[16:-1]]}"
        if key in variables:
            return variables[key]
    return expressions.aws_value(reference, variables)


# --- one document -------------------------------------------------------------------------------


class DocumentScope:
    """What expressions of one document can see."""

    def __init__(
        self,
        loaded: LoadedDocument,
        parameters: Mapping[str, str],
        options: RunOptions,
        logs: LogFolder,
        *,
        execution_id: str,
        chain: tuple[Path, ...] = (),
    ) -> None:
        self.loaded = loaded
        document = loaded.document
        declared = document.parameter_defaults()
        self.variables = {
            **declared,
            **{k: v for k, v in parameters.items() if k in declared},
            **document.constant_values(),
        }
        ignored = sorted(set(parameters) - set(declared))
        if ignored:
            log.debug("%s does not declare parameters %s", loaded.path, ", ".join(ignored))
        self.options = options
        self.logs = logs
        self.execution_id = execution_id
        self.chain = (*chain, loaded.path.resolve())


class PhaseRunner:
    """Runs one document's selected phases from a cursor, recording into its DocumentResult."""

    def __init__(
        self,
        scope: DocumentScope,
        result: DocumentResult,
        options: RunOptions,
        execution: Execution | None,
        *,
        depth: int,
    ) -> None:
        self.scope = scope
        self.result = result
        self.options = options
        self.execution = execution
        self.depth = depth

    def run(self, selected: set[str] | None, cursor: Cursor) -> bool:
        """Run from cursor; True when a failed step aborted the run."""
        document = self.scope.loaded.document
        for phase_index, phase in enumerate(document.phases):
            if phase_index < cursor.phase or (selected is not None and phase.name not in selected):
                continue
            record = next((p for p in self.result.phases if p.name == phase.name), None)
            if record is None:
                record = PhaseResult(name=phase.name, startTime=timestamp())
                self.result.phases.append(record)
            first = cursor.step if phase_index == cursor.phase else 0
            log.info("phase %s of %s", phase.name, self.scope.loaded.path.name)
            for step_index in range(first, len(phase.steps)):
                resumed = phase_index == cursor.phase and step_index == cursor.step
                step = phase.steps[step_index]
                position = Cursor(
                    document=cursor.document,
                    phase=phase_index,
                    step=step_index,
                )
                outcome = StepRunner(self, phase.name, step, position).run(
                    condition_passed=resumed and cursor.condition_passed
                )
                record.steps.append(outcome)
                if outcome.status is Status.failed and step.on_failure == "Abort":
                    record.end_time = timestamp()
                    return True
            record.end_time = timestamp()
        return False

    def chained(self, reference: expressions.Reference) -> str:
        for phase in self.result.phases:
            if phase.name != reference.phase:
                continue
            for step in phase.steps:
                if step.name == reference.step:
                    records = step.inputs if reference.part == "inputs" else step.outputs
                    return expressions.chained_value(records, reference.path)
        return ""


class _Context:
    """The StepContext the runner gives actions."""

    def __init__(self, step_runner: StepRunner, deadline: float | None) -> None:
        self._step = step_runner
        self.executor = step_runner.phase_runner.options.executor
        self.platform = Platform.linux
        self.step_name = step_runner.step.name
        self.phase_name = step_runner.phase
        self.document_path: Path | None = step_runner.phase_runner.scope.loaded.path
        self._deadline = deadline
        self.log = STEP_LOG

    @property
    def timeout(self) -> float | None:
        """Seconds left of this attempt's timeout (it covers every loop iteration)."""
        if self._deadline is None:
            return None
        return max(0.001, self._deadline - time.monotonic())

    @timeout.setter
    def timeout(self, seconds: float | None) -> None:
        self._deadline = None if seconds is None else time.monotonic() + seconds

    def console(self, line: str) -> None:
        if self._step.step.disable_logging:
            return
        self._step.phase_runner.scope.logs.console(line)

    def run_document(
        self, path: Path, *, phases: list[str] | None, parameters: Mapping[str, str]
    ) -> DocumentResult:
        """Run a nested document (ExecuteDocument); its tree goes into detailedOutput."""
        result = self._step.phase_runner_nested(path, phases, parameters)
        self._step.nested_trees.append(document_tree(result))
        return result


class StepRunner:
    def __init__(self, phase_runner: PhaseRunner, phase: str, step: Step, position: Cursor) -> None:
        self.phase_runner = phase_runner
        self.phase = phase
        self.step = step
        self.position = position
        self.loop_name: str | None = None
        self.loop_index: int | None = None
        self.loop_value: str | None = None
        self.nested_trees: list[Any] = []  # ExecuteDocument: the nested runs' trees

    @property
    def label(self) -> str:
        return f"{self.phase}/{self.step.name}"

    def run(self, *, condition_passed: bool) -> StepResult:
        step = self.step
        result = StepResult(
            name=step.name,
            action=step.action,
            timeoutSeconds=step.timeout,
            onFailure=step.on_failure,
            maxAttempts=step.max_attempts,
            startTime=timestamp(),
            hidden=step.disable_logging,
        )
        started = time.monotonic()
        self.console(f"Step {self.label} ({step.action}) started")
        decision = "Execute" if condition_passed else self._decide()
        if decision == "Skip":
            result.status = Status.skipped
            log.info("%s skipped", self.label)
        elif decision == "Abort":
            self._failed(result, "the step's if condition says Abort")
        else:
            self._attempts(result)
        result.end_time = timestamp()
        elapsed = time.monotonic() - started
        self.console(f"Step {self.label} {result.status} ({elapsed:.1f} s)")
        if result.status is not Status.skipped:
            level = logging.INFO if result.status is Status.success else logging.WARNING
            message = f": {first_line(result.failure_message)}" if result.failure_message else ""
            log.log(level, "%s %s in %.1f s%s", self.label, result.status, elapsed, message)
        return result

    def console(self, line: str) -> None:
        self.phase_runner.scope.logs.console(line)

    def _decide(self) -> str:
        condition = self.step.condition
        if condition is None:
            return "Execute"
        if isinstance(condition, list):
            condition = condition[0]
        resolved = self.substitute(condition, "if")
        try:
            truth = conditions.evaluate(
                resolved, conditions.ExecutorProbe(self.phase_runner.options.executor)
            )
        except (OSError, ImagewrightError) as e:
            log.warning("%s: if could not be evaluated (%s); treated as false", self.label, e)
            truth = False
        choice = (
            str(resolved.get("then", "Execute")) if truth else str(resolved.get("else", "Skip"))
        )
        shown = HIDDEN if self.step.disable_logging else conditions.describe(resolved)
        self.console(f"if {shown} is {str(truth).lower()}: {choice}")
        return choice

    def _attempts(self, result: StepResult) -> None:
        step = self.step
        spec = ACTIONS.get(step.action)
        if Platform.linux not in spec.platforms:
            self._failed(result, f"{spec.name} is not supported on linux")
            return
        message = ""
        for attempt in range(1, step.max_attempts + 1):
            result.attempts = attempt
            deadline = None if step.timeout == -1 else time.monotonic() + step.timeout
            context = _Context(self, deadline)
            try:
                inputs, outputs, loop = self._iterations(spec, context, deadline)
            except StepFailed as failure:
                message = failure.message
            except NeedsAwsError:
                raise
            except RebootRequested as request:
                self._reboot(result, request)
                return
            except ImagewrightError as error:
                message = error.message
            except OSError as error:
                message = f"{spec.name} failed: {error}"
            except Exception as error:
                # A defect in an action must fail its step, not the whole run with a traceback.
                log.debug("%s raised", spec.name, exc_info=True)
                message = f"{spec.name} failed unexpectedly: {type(error).__name__}: {error}"
            else:
                result.inputs, result.outputs, result.loop = inputs, outputs, loop
                result.detailed_output = self.nested_trees or None
                result.status = Status.success
                return
            if attempt < step.max_attempts:
                log.warning(
                    "%s attempt %d of %d failed: %s",
                    self.label,
                    attempt,
                    step.max_attempts,
                    first_line(message),
                )
                self.console(f"Attempt {attempt} failed: {message}")
        result.detailed_output = self.nested_trees or None
        self._failed(result, message)

    def _failed(self, result: StepResult, message: str) -> None:
        result.failure_message = message
        ignored = self.step.on_failure == "Ignore"
        result.status = Status.ignored_failure if ignored else Status.failed
        self.console(f"Step {self.label} failed: {message}")

    def _reboot(self, result: StepResult, request: RebootRequested) -> None:
        if self.phase_runner.execution is None or self.phase_runner.depth > 0:
            # Inside ExecuteDocument the nested run cannot be left and resumed: the reboot is
            # simulated in place.
            log.warning("%s requested a reboot; simulated in place", self.label)
            if request.rerun_step:
                self._attempts(result)
            else:
                result.status = Status.success
            return
        state = self.phase_runner.execution.state
        key = f"{self.position.document}/{self.phase}/{self.step.name}"
        if state.reboots.get(key, 0) >= MAX_REBOOTS_PER_STEP:
            self._failed(result, f"requested a reboot more than {MAX_REBOOTS_PER_STEP} times")
            return
        if request.rerun_step:
            cursor = self.position.model_copy(update={"condition_passed": True})
        else:
            result.status = Status.success
            result.end_time = timestamp()
            phase = next(p for p in self.phase_runner.result.phases if p.name == self.phase)
            phase.steps.append(result)
            cursor = self.position.model_copy(update={"step": self.position.step + 1})
        self.console(f"Step {self.label} requested a reboot: {request.message}")
        raise _Reboot(
            cursor,
            self.phase,
            self.step.name,
            rerun=request.rerun_step,
            delay=request.delay_seconds,
            reason=request.message,
        )

    def _iterations(
        self, spec: ActionSpec, context: _Context, deadline: float | None
    ) -> tuple[list[Any], list[Any], dict[str, Any] | None]:
        loop = self.step.loop
        values = self._loop_values() if loop is not None else [None]
        merged: dict[str, list[str]] = {}
        order: list[str] = []
        inputs: list[Any] = []
        self.nested_trees = []
        self.loop_name = loop.name if loop is not None else None
        for index, value in enumerate(values):
            if loop is not None:
                self.loop_index, self.loop_value = index, value
            if deadline is not None and time.monotonic() > deadline:
                raise StepFailed(f"the step timed out after {self.step.timeout} seconds")
            raw = self.substitute(self.step.inputs, "inputs")
            validated, inputs = self._validate(spec, raw)
            try:
                outputs = spec.execute(context, validated)
            except StepFailed as failure:
                if loop is None:
                    raise
                raise StepFailed(f"loop iteration {index} failed: {failure.message}") from failure
            for key, item in outputs.items():
                if key not in merged:
                    merged[key] = []
                    order.append(key)
                merged[key].append(expressions.as_text(item))
        self.loop_index = self.loop_value = None
        output_list: list[Any] = [{k: "\n".join(merged[k]) for k in order}] if order else []
        loop_record = None
        if loop is not None:
            loop_record = {"name": loop.name or "", "iterations": len(values)}
        return inputs, output_list, loop_record

    def _loop_values(self) -> list[str]:
        loop = self.step.loop
        if loop is None:
            return [""]
        if loop.range is not None:
            span = loop.range
            stop = span.end + (1 if span.update_by > 0 else -1)
            return [str(n) for n in range(span.start, stop, span.update_by)]
        each = loop.for_each
        if isinstance(each, list):
            return [str(self.substitute(item, "loop")) for item in each]
        if each is None:
            return []
        text = str(self.substitute(each.items, "loop"))
        delimiter = {"\\n": "\n", "\\t": "\t"}.get(each.delimiter, each.delimiter)
        return [item for item in text.split(delimiter) if item != ""]

    def _validate(self, spec: ActionSpec, raw: Any) -> tuple[Any, list[Any]]:
        """The inputs the action gets, and the list form with defaults for the logs."""
        model = spec.inputs
        try:
            if spec.shape is InputShape.list:
                items = raw if isinstance(raw, list) else []
                if model is None:
                    return items, list(items)
                validated = [model.model_validate(item) for item in items]
                return validated, [v.model_dump(by_alias=True, mode="json") for v in validated]
            if model is None:
                return raw, [raw] if raw is not None else []
            if raw is None and spec.shape is InputShape.optional_mapping:
                return None, []
            single = model.model_validate(raw if raw is not None else {})
            return single, [single.model_dump(by_alias=True, mode="json")]
        except ValidationError as error:
            details = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                for e in error.errors(include_url=False)
            )
            raise StepFailed(f"inputs are not valid after substitution: {details}") from error

    # --- expressions ---------------------------------------------------------------------------

    def substitute(self, value: Any, where: str) -> Any:
        return expressions.substitute(value, lambda ref: self._lookup(ref, where))

    def _lookup(self, reference: expressions.Reference, where: str) -> str | None:
        scope = self.phase_runner.scope
        value = self._value(reference)
        if value is not None and reference.kind != "loop":
            shown = HIDDEN if self.step.disable_logging else value
            scope.logs.record_chaining(
                str(scope.loaded.path), self.phase, self.step.name, reference.text, shown
            )
        return value

    def _value(self, reference: expressions.Reference) -> str | None:
        scope = self.phase_runner.scope
        kind = reference.kind
        if kind == "variable":
            return scope.variables.get(reference.name, "")
        if kind == "chain":
            return self.phase_runner.chained(reference)
        if kind == "loop":
            if self.loop_index is None or reference.name not in ("loop", self.loop_name):
                return None
            return str(self.loop_index) if reference.part == "index" else str(self.loop_value)
        if kind == "env":
            return target_environment(scope.options.executor).get(reference.name, "")
        if kind == "context" and reference.name not in expressions.AWS_CONTEXT_KEYS:
            return self._context(reference.name)
        return needs_aws(reference, scope.options.variables, scope.variables)

    def _context(self, key: str) -> str:
        scope = self.phase_runner.scope
        now = dt.datetime.now(dt.UTC)
        values: dict[str, Callable[[], str]] = {
            "executionId": lambda: scope.execution_id,
            "osPlatform": lambda: "linux",
            "osName": lambda: os_release(scope.options.executor).get("NAME", ""),
            "osVersion": lambda: os_release(scope.options.executor).get("VERSION_ID", ""),
            "date": lambda: now.strftime("%Y-%m-%d"),
            "dateTime": lambda: now.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "uuid": lambda: str(uuid.uuid4()),
            "hostname": lambda: target_hostname(scope.options.executor),
            "phase": lambda: self.phase,
            "step": lambda: self.step.name,
        }
        return values[key]()

    # --- nested documents ----------------------------------------------------------------------

    def phase_runner_nested(
        self, path: Path, phases: list[str] | None, parameters: Mapping[str, str]
    ) -> DocumentResult:
        outer = self.phase_runner
        if outer.depth + 1 > MAX_NESTING:
            raise StepFailed(
                f"ExecuteDocument nests deeper than {MAX_NESTING} levels (4 documents in a chain)"
            )
        if path.resolve() in outer.scope.chain:
            names = " -> ".join(p.name for p in (*outer.scope.chain, path))
            raise StepFailed(f"ExecuteDocument cycle: {names}")
        try:
            loaded = load(path)
            preflight(loaded.document, outer.options.variables, parameters)
        except ConfigError as error:
            raise StepFailed(f"nested document is not valid:\n{error.message}") from error
        scope = DocumentScope(
            loaded,
            parameters,
            outer.options,
            outer.scope.logs,
            execution_id=outer.scope.execution_id,
            chain=outer.scope.chain,
        )
        result = DocumentResult(
            name=loaded.document.name or path.stem,
            filePath=str(path),
            description=loaded.document.description or "",
            startTime=timestamp(),
        )
        nested = PhaseRunner(scope, result, outer.options, None, depth=outer.depth + 1)
        nested.run(set(phases) if phases else None, Cursor())
        result.end_time = timestamp()
        for phase in result.phases:
            phase.status = combined([s.status for s in phase.steps])
        result.status = combined([p.status for p in result.phases])
        if result.status is Status.failed:
            result.failure_message = f"Document {path} failed!"
        return result


def reboot_host(options: RunOptions, state_directory: Path, delay: int) -> None:
    """Arrange for the run to resume at boot (a cron @reboot entry), then reboot this machine.
    Refused inside an image: only a real machine can reboot."""
    from imagewright.run import run

    if options.executor.kind != "host":
        raise ConfigError("--reboot host only reboots this machine; an image cannot reboot")
    command = shlex.join([*options.resume_command, "--state-directory", str(state_directory)])
    trigger = Path("/etc/cron.d/imagewright-toe-resume")
    trigger.write_text(
        f"# resumes imagewright toe run {state_directory} once; removed when it starts\n"
        f"@reboot root rm -f {shlex.quote(str(trigger))}; {command}\n"
    )
    log.warning("rebooting this machine in %d seconds (%s)", delay, host_platform.node())
    run(["shutdown", "-r", f"+{max(0, delay // 60)}"])

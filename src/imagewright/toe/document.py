"""The AWSTOE component document (awstoe.md §1): models, naming rules and whole-document checks.

Loading reports every problem at once, each with file:line:column, the field path, what was
expected and a "did you mean" for misspelled fields and action names. Checks beyond field types:
unique names, action inputs validated by the action's own model (per item for list-shaped
inputs), `if`/Assert operator structure, loop rules, undeclared or forward `{{ }}` references.

Decisions where AWSTOE's documentation is silent: unknown keys are errors at every level; step
and loop names are at most 128 characters; a `for` loop has at most 10,000 iterations;
parameter and constant values, loop values and numbers written where text is expected are taken
as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from imagewright.config.yamlload import (
    StrictModel,
    field_path,
    parse_yaml,
    plain,
    position,
    problems_from,
    read_text_file,
    validation_message,
)
from imagewright.errors import ConfigError, Problem
from imagewright.registry import suggest
from imagewright.toe import conditions, expressions
from imagewright.toe.actions import ACTIONS, ActionSpec, InputShape, Platform
from imagewright.toe.actions._target import Text

Loc = tuple[str | int, ...]

NAME_RULE = r"^[A-Za-z0-9_-]{1,128}$"
VARIABLE_RULE = r"^[A-Za-z0-9_-]{3,128}$"
DEFAULT_TIMEOUT = 7200
MAX_LOOP_ITERATIONS = 10_000  # AWSTOE documents no limit; this keeps a typo from running forever
# Beyond this a timeout cannot be waited for (threading.TIMEOUT_MAX is about 2^33 seconds).
MAX_TIMEOUT = 2**31 - 1
KNOWN_PHASES = ("build", "validate", "test")
DELIMITERS = frozenset({".", ",", ";", ":", "\n", "\t", " ", "-", "_"})
IF_ACTIONS = ("Execute", "Skip", "Abort")


class ParameterSpec(StrictModel):
    type: Literal["string"]
    default: Text | None = None
    description: str | None = None


class ConstantSpec(StrictModel):
    type: Literal["string"]
    value: Text


class ForRange(StrictModel):
    start: int
    end: int
    update_by: int = Field(alias="updateBy")


class DelimitedList(StrictModel):
    items: Text = Field(alias="list")
    delimiter: str = ","


class Loop(StrictModel):
    name: str | None = Field(default=None, pattern=NAME_RULE)
    range: ForRange | None = Field(default=None, alias="for")
    for_each: list[Text] | DelimitedList | None = Field(default=None, alias="forEach")


class Step(StrictModel):
    name: str = Field(pattern=NAME_RULE)
    action: str
    inputs: Any = None
    timeout_seconds: int | None = Field(default=None, alias="timeoutSeconds")
    on_failure: Literal["Abort", "Continue", "Ignore"] = Field(default="Abort", alias="onFailure")
    max_attempts: int = Field(default=1, alias="maxAttempts", ge=1)
    disable_logging: bool = Field(default=False, alias="disableLogging")
    condition: dict[str, Any] | list[Any] | None = Field(default=None, alias="if")
    loop: Loop | None = None

    @property
    def timeout(self) -> int:
        """Effective timeoutSeconds: -1 means none."""
        if self.action in ("ExecuteDocument", "Reboot"):
            return -1
        return DEFAULT_TIMEOUT if self.timeout_seconds is None else self.timeout_seconds


class Phase(StrictModel):
    name: str = Field(pattern=NAME_RULE)
    steps: list[Step] = Field(min_length=1)


class Document(StrictModel):
    name: str | None = None
    description: str | None = None
    schema_version: Text = Field(alias="schemaVersion")
    parameters: list[dict[str, ParameterSpec]] = Field(default_factory=list)
    constants: list[dict[str, ConstantSpec]] = Field(default_factory=list)
    phases: list[Phase] = Field(min_length=1)

    def parameter_defaults(self) -> dict[str, str]:
        return {n: s.default or "" for item in self.parameters for n, s in item.items()}

    def constant_values(self) -> dict[str, str]:
        return {n: s.value for item in self.constants for n, s in item.items()}


@dataclass(frozen=True, slots=True)
class LoadedDocument:
    path: Path
    text: str
    document: Document


@dataclass
class _Checker:
    tree: Any
    source: Path | str
    platform: Platform | None
    problems: list[Problem] = field(default_factory=list)
    document: Document | None = None  # the model, when the fields themselves are valid

    def add(self, loc: Loc, message: str, suggestion: str | None = None) -> None:
        line, column = position(self.tree, loc)
        self.problems.append(
            Problem(
                message,
                file=self.source,
                line=line,
                column=column,
                field=field_path(loc) or None,
                suggestion=suggestion,
            )
        )

    def run(self) -> None:
        tree = self.tree
        if not isinstance(tree, Mapping):
            self.add((), "a component document must be a mapping with schemaVersion and phases")
            return
        try:
            self.document = Document.model_validate(plain(tree))
        except ValidationError as error:
            for problem in problems_from(error, tree, self.source, Document):
                if not self._covered_elsewhere(problem):
                    self.problems.append(problem)
        version = tree.get("schemaVersion")
        if version is not None and str(version) not in ("1.0", "1"):
            self.add(("schemaVersion",), f"unsupported schemaVersion {version!r}; expected 1.0")
        variables = self._variables(tree)
        phases = tree.get("phases")
        if isinstance(phases, list):
            self._phases(phases, variables)

    @staticmethod
    def _covered_elsewhere(problem: Problem) -> bool:
        # inputs and if are checked with the action's model and the operator rules below.
        field_text = problem.field or ""
        return ".inputs" in field_text or ".if" in field_text

    def _variables(self, tree: Mapping[str, Any]) -> set[str]:
        seen: set[str] = set()
        for section in ("parameters", "constants"):
            items = tree.get(section)
            if not isinstance(items, list):
                continue
            for index, item in enumerate(items):
                if not isinstance(item, Mapping):
                    continue
                if len(item) != 1:
                    self.add(
                        (section, index),
                        f"each entry of {section} is a mapping with exactly one name",
                    )
                for name in item:
                    if not isinstance(name, str) or not re.match(VARIABLE_RULE, name):
                        self.add(
                            (section, index, str(name)),
                            f"name '{name}' must be 3-128 characters of A-Z, a-z, 0-9, - and _",
                        )
                    if name in seen:
                        self.add(
                            (section, index, str(name)),
                            f"'{name}' is declared twice (parameters and constants share names)",
                        )
                    seen.add(str(name))
        return seen

    def _phases(self, phases: list[Any], variables: set[str]) -> None:
        names = [p.get("name") for p in phases if isinstance(p, Mapping)]
        for index, phase in enumerate(phases):
            if isinstance(phase, Mapping) and names.count(phase.get("name")) > 1:
                self.add(("phases", index, "name"), f"phase '{phase.get('name')}' appears twice")
        if names and not any(n in KNOWN_PHASES for n in names):
            close = next((suggest(str(n), KNOWN_PHASES) for n in names if n), None)
            self.add(("phases",), "at least one phase must be build, validate or test", close)
        earlier: set[tuple[str, str]] = set()
        for phase_index, phase in enumerate(phases):
            if not isinstance(phase, Mapping) or not isinstance(phase.get("steps"), list):
                continue
            phase_name = str(phase.get("name"))
            step_names: list[str] = []
            loop_names: list[str] = []
            for step_index, step in enumerate(phase["steps"]):
                if not isinstance(step, Mapping):
                    continue
                loc: Loc = ("phases", phase_index, "steps", step_index)
                name = str(step.get("name"))
                if name in step_names:
                    self.add((*loc, "name"), f"step '{name}' appears twice in phase {phase_name}")
                step_names.append(name)
                loop_name = self._step(step, loc, variables, earlier)
                if loop_name is not None:
                    if loop_name in loop_names:
                        self.add((*loc, "loop", "name"), f"loop name '{loop_name}' is used twice")
                    loop_names.append(loop_name)
                earlier.add((phase_name, name))

    def _step(
        self, step: Mapping[str, Any], loc: Loc, variables: set[str], earlier: set[tuple[str, str]]
    ) -> str | None:
        action_name = step.get("action")
        spec: ActionSpec | None = None
        if isinstance(action_name, str):
            if action_name in ACTIONS:
                spec = ACTIONS.get(action_name)
            else:
                self.add(
                    (*loc, "action"),
                    f"unknown action module '{action_name}'",
                    ACTIONS.suggest(action_name),
                )
        if spec is not None:
            if self.platform is not None and self.platform not in spec.platforms:
                supported = ", ".join(sorted(spec.platforms))
                self.add(
                    (*loc, "action"),
                    f"{spec.name} is not supported on {self.platform} (supported: {supported})",
                )
            self._inputs(spec, step, loc)
            self._step_limits(spec, step, loc)
        timeout = step.get("timeoutSeconds")
        if (
            isinstance(timeout, int)
            and not isinstance(timeout, bool)
            and (timeout == 0 or timeout < -1 or timeout > MAX_TIMEOUT)
        ):
            self.add(
                (*loc, "timeoutSeconds"),
                f"must be a number of seconds from 1 to {MAX_TIMEOUT}, or -1 (none)",
            )
        loop = step.get("loop")
        loop_name = self._loop(loop, (*loc, "loop")) if isinstance(loop, Mapping) else None
        if "if" in step:
            self._condition(step["if"], (*loc, "if"))
        scope = _Scope(variables, earlier, loop_name, has_loop=isinstance(loop, Mapping))
        for part in ("inputs", "if", "loop"):
            if part in step:
                self._references(step[part], (*loc, part), scope, part)
        return loop_name

    def _inputs(self, spec: ActionSpec, step: Mapping[str, Any], loc: Loc) -> None:
        inputs = step.get("inputs")
        where: Loc = (*loc, "inputs")
        if spec.shape is InputShape.list:
            if inputs is None or inputs == []:
                if spec.inputs is not None and _has_required(spec):
                    self.add(
                        where if inputs is not None else loc,
                        f"{spec.name} needs inputs: a list of mappings",
                    )
                return
            if not isinstance(inputs, list):
                self.add(where, f"{spec.name} takes a list of mappings as inputs ('- key: value')")
                return
            for index, item in enumerate(inputs):
                self._validate_inputs(spec, item, (*where, index))
            return
        if inputs is None:
            if spec.shape is InputShape.optional_mapping or not _has_required(spec):
                return
            self.add(loc, f"{spec.name} needs inputs")
            return
        if isinstance(inputs, list):
            self.add(where, f"{spec.name} takes a mapping as inputs, not a list")
            return
        self._validate_inputs(spec, inputs, where)

    def _validate_inputs(self, spec: ActionSpec, value: Any, where: Loc) -> None:
        if spec.inputs is None:
            return
        if not isinstance(value, Mapping):
            self.add(where, "expected a mapping of input names to values")
            return
        try:
            spec.inputs.model_validate(plain(value))
        except ValidationError as error:
            for item in error.errors(include_url=False):
                loc = tuple(p for p in item["loc"] if isinstance(p, int) or "[" not in str(p))
                raw = expressions.value_at(value, loc)
                if isinstance(raw, str) and "{{" in raw:
                    continue  # checked again at run time, after substitution
                if isinstance(raw, Mapping) and item["type"] == "string_type":
                    self.add(
                        (*where, *loc),
                        "expected text, found a mapping: quote the value (an unquoted ': ' "
                        "starts a mapping in YAML)",
                    )
                    continue
                self._model_problem(spec, item, (*where, *loc))
        if spec.check is not None:
            for problem in spec.check(plain(value)):
                self.add((*where, *problem.loc), problem.message, problem.suggestion)

    def _model_problem(self, spec: ActionSpec, item: Any, loc: Loc) -> None:
        if item["type"] == "extra_forbidden" and spec.inputs is not None:
            allowed = [f.alias or n for n, f in spec.inputs.model_fields.items()]
            close = suggest(str(loc[-1]), allowed)
            expected = "" if close else f"; {spec.name} takes: {', '.join(allowed)}"
            self.add(loc, f"unknown input of {spec.name}{expected}", close)
        elif item["type"] == "missing":
            self.add(loc, f"required input of {spec.name} is missing")
        else:
            self.add(loc, validation_message(item))

    def _step_limits(self, spec: ActionSpec, step: Mapping[str, Any], loc: Loc) -> None:
        if spec.name == "ExecuteDocument":
            if step.get("timeoutSeconds", -1) != -1:
                self.add((*loc, "timeoutSeconds"), "ExecuteDocument runs without a timeout (-1)")
            if step.get("maxAttempts", 1) != 1:
                self.add((*loc, "maxAttempts"), "ExecuteDocument runs exactly once (1)")
        if spec.name == "Reboot" and "timeoutSeconds" in step:
            self.add((*loc, "timeoutSeconds"), "Reboot does not take a timeout")

    def _loop(self, loop: Mapping[str, Any], loc: Loc) -> str | None:
        forms = [k for k in ("for", "forEach") if k in loop]
        if len(forms) != 1:
            self.add(loc, "a loop has exactly one of 'for' or 'forEach'")
        span = loop.get("for")
        if isinstance(span, Mapping):
            start, end, step = span.get("start"), span.get("end"), span.get("updateBy")
            for key, value in (("start", start), ("end", end), ("updateBy", step)):
                if isinstance(value, str) and "{{" in value:
                    self.add((*loc, "for", key), "expressions are not allowed in for loops")
            numbers = [v for v in (start, end, step) if isinstance(v, int) and _integers(v)]
            if len(numbers) == 3:
                start, end, step = numbers
                if step == 0:
                    self.add((*loc, "for", "updateBy"), "updateBy must not be 0")
                elif (end - start) * step < 0:
                    self.add(
                        (*loc, "for", "updateBy"),
                        f"counting from {start} to {end} by {step} never ends",
                    )
                elif (end - start) // step + 1 > MAX_LOOP_ITERATIONS:
                    self.add(
                        (*loc, "for"),
                        f"more than {MAX_LOOP_ITERATIONS} iterations; split the work",
                    )
        each = loop.get("forEach")
        if isinstance(each, Mapping):
            delimiter = each.get("delimiter", ",")
            if delimiter not in DELIMITERS:
                self.add(
                    (*loc, "forEach", "delimiter"),
                    "delimiter must be one of . , ; : - _ space, tab or newline",
                )
        name = loop.get("name")
        return name if isinstance(name, str) else None

    def _condition(self, condition: Any, loc: Loc) -> None:
        if isinstance(condition, list):
            # The syntax box's list form: one entry holding the operator and then/else.
            if len(condition) != 1:
                self.add(loc, "if takes exactly one expression")
                return
            condition, loc = condition[0], (*loc, 0)
        if isinstance(condition, Mapping):
            for key in ("then", "else"):
                if key in condition and condition[key] not in IF_ACTIONS:
                    self.add(
                        (*loc, key),
                        f"{key} must be one of {', '.join(IF_ACTIONS)}",
                        suggest(str(condition[key]), IF_ACTIONS),
                    )
        for problem in conditions.check(condition, allowed_siblings=frozenset({"then", "else"})):
            self.add((*loc, *problem.loc), problem.message, problem.suggestion)

    def _references(self, value: Any, loc: Loc, scope: _Scope, part: str) -> None:
        for path, found in expressions.references(value):
            where = (*loc, *path)
            if isinstance(found, expressions.ExpressionError):
                self.add(where, str(found))
                continue
            if part == "loop" and path[:1] == ("for",):
                self.add(where, "expressions are not allowed in for loops")
            message = scope.problem(found)
            if message is not None:
                choices = list(scope.variables)
                self.add(where, message, suggest(found.name, choices) if found.name else None)


@dataclass(frozen=True, slots=True)
class _Scope:
    variables: set[str]
    earlier: set[tuple[str, str]]
    loop_name: str | None
    has_loop: bool

    def problem(self, reference: expressions.Reference) -> str | None:
        if reference.kind == "variable" and reference.name not in self.variables:
            return f"'{reference.name}' is not a declared parameter or constant"
        if reference.kind == "loop":
            if reference.name == "loop" or reference.name == self.loop_name:
                return None
            if self.has_loop:
                return f"'{reference.name}' is not the name of this step's loop"
            return f"'{reference.text}' refers to a loop, but this step has none named so"
        if reference.kind == "chain" and (reference.phase, reference.step) not in self.earlier:
            return (
                f"'{reference.phase}.{reference.step}' is not a step that runs before this one "
                "in this document"
            )
        return None


def _integers(*values: Any) -> bool:
    return all(isinstance(v, int) and not isinstance(v, bool) for v in values)


def _has_required(spec: ActionSpec) -> bool:
    return spec.inputs is not None and any(
        f.is_required() for f in spec.inputs.model_fields.values()
    )


def check_text(text: str, source: Path | str, platform: Platform | None) -> Document:
    """Parse and check a document; every problem found is in one ConfigError."""
    tree = parse_yaml(text, source)
    checker = _Checker(tree, source, platform)
    checker.run()
    if checker.problems or checker.document is None:
        problems = checker.problems or [Problem("the document is not valid", file=source)]
        raise ConfigError(problems, hint="see docs/toe.md for the document format")
    return checker.document


def load(path: Path, *, platform: Platform | None = None) -> LoadedDocument:
    """Read and check a document file (YAML or JSON).

    platform: validate module support for that platform; None (run time) leaves it to the step,
    which then fails with "not supported on linux".
    """
    text = read_text_file(path, "document")
    return LoadedDocument(path, text, check_text(text, path, platform))

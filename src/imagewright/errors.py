"""The exception hierarchy. Library code raises these; only `cli/` turns them into messages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class ImagewrightError(Exception):
    """Base of every error the tool reports to a user."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in a configuration file: where it is, which field, what was expected."""

    message: str
    file: Path | str | None = None
    line: int | None = None  # 1-based
    column: int | None = None  # 1-based
    field: str | None = None  # dotted path, e.g. phases[0].steps[2].action
    suggestion: str | None = None

    def location(self) -> str:
        parts = [str(self.file)] if self.file is not None else []
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        text = self.message
        if self.field:
            text = f"{self.field}: {text}"
        if self.suggestion:
            text = f"{text} (did you mean '{self.suggestion}'?)"
        location = self.location()
        return f"{location}: {text}" if location else text


class ConfigError(ImagewrightError):
    """A document, recipe, policy or command line that cannot be used as written."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | Problem | str, *, hint: str | None = None) -> None:
        if isinstance(problems, str):
            problems = Problem(problems)
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems), hint=hint)


class BadTargetError(ImagewrightError):
    """A target (directory, disk image, archive) that cannot be opened or is not what it claims."""

    exit_code = 2


class UnsafePathError(ImagewrightError):
    """A path inside an image that would resolve outside the image root."""

    exit_code = 2


class CommandError(ImagewrightError):
    """An external command failed."""

    def __init__(
        self, argv: list[str], returncode: int, stderr: str = "", *, hint: str | None = None
    ) -> None:
        self.argv = argv
        self.returncode = returncode
        self.stderr = stderr
        tail = "\n".join(stderr.strip().splitlines()[-20:])
        message = f"'{' '.join(argv)}' failed with exit code {returncode}"
        if tail:
            message = f"{message}:\n{tail}"
        super().__init__(message, hint=hint)


class CommandTimeout(CommandError):
    """An external command ran longer than allowed and was killed with its process group."""


class MissingToolError(ImagewrightError):
    """A program the operation needs is not installed."""

    exit_code = 2


class MountError(ImagewrightError):
    """Mounting, unmounting or attaching a loop device failed."""


class OperationsFailed(ImagewrightError):
    """One or more declared operations failed; all of them are reported together."""

    def __init__(self, failures: list[tuple[str, str]], *, hint: str | None = None) -> None:
        self.failures = failures
        super().__init__("\n".join(f"{name}: {why}" for name, why in failures), hint=hint)


class NeedsAwsError(ImagewrightError):
    """A value that only AWS can provide (SSM, IMDS, S3) was referenced and none was supplied."""

    exit_code = 2


class GateFailed(ImagewrightError):
    """Findings at or above the threshold block the operation."""


class Interrupted(ImagewrightError):
    """The user interrupted the run (SIGINT or SIGTERM)."""

    exit_code = 130

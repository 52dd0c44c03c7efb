"""ExecuteBash and ExecuteBinary: run a script or a program on the target.

ExecuteBash writes the commands, one per line, to a fresh `/tmp/imagewright-toe-*-input.sh` on
the target and runs it with `bash` (no `set -e` is added, as AWSTOE does not); the script is
removed afterwards. Exit code 194 asks for a reboot and a re-run of the step. `stdout` is the
output with its trailing newlines removed (other whitespace is kept).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence

from pydantic import Field

from imagewright.config.yamlload import StrictModel
from imagewright.errors import CommandTimeout, MissingToolError
from imagewright.toe.actions import (
    InputShape,
    Outputs,
    Platform,
    RebootRequested,
    StepContext,
    StepFailed,
    action,
)
from imagewright.toe.actions._target import Text

REBOOT_EXIT_CODE = 194


class ExecuteBashInput(StrictModel):
    commands: list[Text] = Field(min_length=1)


class ExecuteBinaryInput(StrictModel):
    path: Text
    arguments: list[Text] = Field(default_factory=list)


def run_command(ctx: StepContext, argv: Sequence[str], *, cwd: str | None = None) -> Outputs:
    """Run argv on the target, streaming its output to console.log; the step's outcome."""

    def stream(name: str, line: str) -> None:
        ctx.console(line if name == "stdout" else f"CmdExecution: Stderr: {line}")

    try:
        result = ctx.executor.run(argv, timeout=ctx.timeout, cwd=cwd, on_output=stream, check=False)
    except CommandTimeout as timeout:
        raise StepFailed(
            f"timed out after {ctx.timeout and round(ctx.timeout)} seconds"
        ) from timeout
    except MissingToolError as missing:
        raise StepFailed(f"program not found: {argv[0]}") from missing
    ctx.console(f"CmdExecution: ExitCode {result.returncode}")
    if result.returncode == REBOOT_EXIT_CODE:
        raise RebootRequested(f"exit code {REBOOT_EXIT_CODE}", rerun_step=True)
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-10:])
        raise StepFailed(
            f"exit code {result.returncode}" + (f": {tail}" if tail else ""),
        )
    return {"stdout": result.stdout.rstrip("\n")}


@action(
    "ExecuteBash",
    platforms={Platform.linux, Platform.macos},
    shape=InputShape.mapping,
    inputs=ExecuteBashInput,
    outputs=("stdout",),
)
def execute_bash(ctx: StepContext, inputs: ExecuteBashInput) -> Outputs:
    """Run commands as one bash script; 194 asks for a reboot."""
    # A file, not a folder: removing a folder costs milliseconds on ext4 mounted with discard.
    script = f"/tmp/imagewright-toe-{secrets.token_hex(8)}-input.sh"
    host_script = ctx.executor.resolve(script)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    descriptor = os.open(host_script, flags, 0o700)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write("\n".join(inputs.commands) + "\n")
        return run_command(ctx, ["bash", script])
    finally:
        host_script.unlink(missing_ok=True)


@action(
    "ExecuteBinary",
    platforms={Platform.linux, Platform.windows, Platform.macos},
    shape=InputShape.mapping,
    inputs=ExecuteBinaryInput,
    outputs=("stdout",),
)
def execute_binary(ctx: StepContext, inputs: ExecuteBinaryInput) -> Outputs:
    """Run a program (a path, or a name found on PATH) with arguments; 194 asks for a reboot."""
    return run_command(ctx, [inputs.path, *inputs.arguments])

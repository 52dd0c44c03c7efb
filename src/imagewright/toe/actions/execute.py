"""ExecuteBash and ExecuteBinary: run a script or a program on the target.

ExecuteBash writes the commands, one per line, to `input.sh` in a fresh folder under the
target's /tmp and runs it with `bash` (no `set -e` is added, as AWSTOE does not); the folder is
removed afterwards. Exit code 194 asks for a reboot and a re-run of the step. `stdout` is the
output with its trailing newlines removed (other whitespace is kept).
"""

from __future__ import annotations

import secrets
import shutil
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
from imagewright.toe.document import Text

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
    folder = f"/tmp/imagewright-toe-{secrets.token_hex(6)}"
    host_folder = ctx.executor.resolve(folder)
    host_folder.mkdir(mode=0o700, parents=True)
    try:
        script = host_folder / "input.sh"
        script.write_text("\n".join(inputs.commands) + "\n", encoding="utf-8")
        return run_command(ctx, ["bash", f"{folder}/input.sh"])
    finally:
        shutil.rmtree(host_folder, ignore_errors=True)


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

"""AWSTOE's Windows-only modules. They are declared with their inputs so that Windows documents
validate (`--os-platform windows`); nothing Windows-only can run on these Linux machines, so
executing one fails the step with a message that says so."""

from __future__ import annotations

import enum
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from imagewright.config.yamlload import StrictModel
from imagewright.toe.actions import InputShape, Outputs, Platform, StepContext, StepFailed, action
from imagewright.toe.actions._target import Text

WINDOWS = frozenset({Platform.windows})


def _unsupported(name: str, ctx: StepContext) -> StepFailed:
    return StepFailed(
        f"{name} is not supported on {ctx.platform}: it needs Windows",
        hint="run this document's Windows steps in Image Builder, or guard them with an `if`",
    )


class ExecutePowerShellInput(StrictModel):
    commands: list[Text] | None = None
    file: Text | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ExecutePowerShellInput:
        if (self.commands is None) == (self.file is None):
            raise ValueError("give exactly one of 'commands' or 'file'")
        return self


class MsiInput(StrictModel):
    path: Text
    reboot: Literal["Allow", "Force", "Skip"] = "Allow"
    log_options: Text = Field(default="*VX", alias="logOptions")
    log_file: Text | None = Field(default=None, alias="logFile")
    properties: dict[str, Text] | None = None
    ignore_authenticode_signature_errors: bool = Field(
        default=False, alias="ignoreAuthenticodeSignatureErrors"
    )
    allow_unsigned_installer: bool = Field(default=False, alias="allowUnsignedInstaller")


class RegistryType(enum.StrEnum):
    BINARY = "BINARY"
    DWORD = "DWORD"
    QWORD = "QWORD"
    SZ = "SZ"
    EXPAND_SZ = "EXPAND_SZ"
    MULTI_SZ = "MULTI_SZ"


REGISTRY_ROOTS = (
    "HKEY_CLASSES_ROOT",
    "HKCR:",
    "HKEY_USERS",
    "HKU:",
    "HKEY_LOCAL_MACHINE",
    "HKLM:",
    "HKEY_CURRENT_CONFIG",
    "HKCC:",
    "HKEY_CURRENT_USER",
    "HKCU:",
)


class SetRegistryInput(StrictModel):
    path: Text
    name: Text
    value: str | int | float | list[str | int]
    type: RegistryType

    @field_validator("path")
    @classmethod
    def _known_root(cls, path: str) -> str:
        if not path.upper().startswith(REGISTRY_ROOTS):
            raise ValueError(f"registry path must start with one of: {', '.join(REGISTRY_ROOTS)}")
        return path


@action(
    "ExecutePowerShell",
    platforms=WINDOWS,
    shape=InputShape.mapping,
    inputs=ExecutePowerShellInput,
    outputs=("stdout",),
)
def execute_powershell(ctx: StepContext, inputs: Any) -> Outputs:
    """Run PowerShell commands or a .ps1 file (Windows only)."""
    raise _unsupported("ExecutePowerShell", ctx)


@action(
    "InstallMSI",
    platforms=WINDOWS,
    shape=InputShape.mapping,
    inputs=MsiInput,
    outputs=("logFile", "msiExitCode", "stdout"),
)
def install_msi(ctx: StepContext, inputs: Any) -> Outputs:
    """Install a Windows Installer package (Windows only)."""
    raise _unsupported("InstallMSI", ctx)


@action(
    "UninstallMSI",
    platforms=WINDOWS,
    shape=InputShape.mapping,
    inputs=MsiInput,
    outputs=("logFile", "msiExitCode", "stdout"),
)
def uninstall_msi(ctx: StepContext, inputs: Any) -> Outputs:
    """Remove a Windows Installer package (Windows only)."""
    raise _unsupported("UninstallMSI", ctx)


@action("SetRegistry", platforms=WINDOWS, shape=InputShape.list, inputs=SetRegistryInput)
def set_registry(ctx: StepContext, inputs: Any) -> Outputs:
    """Set registry values, creating missing keys (Windows only)."""
    raise _unsupported("SetRegistry", ctx)

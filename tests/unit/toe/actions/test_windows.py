"""The Windows-only modules validate their inputs and refuse to run on Linux."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from tests.toe_support import Context, execute

from imagewright.toe.actions import ACTIONS, InputShape, Platform, StepFailed

VALID: dict[str, Any] = {
    "ExecutePowerShell": {"commands": ["Write-Host 'hi'"]},
    "InstallMSI": {
        "path": "C:\\installers\\agent.msi",
        "reboot": "Skip",
        "logOptions": "*VX",
        "logFile": "C:\\logs\\agent.log",
        "properties": {"COMPANYNAME": '"Acme ""Widgets"""', "LICENSE": "1"},
        "ignoreAuthenticodeSignatureErrors": False,
        "allowUnsignedInstaller": True,
    },
    "UninstallMSI": {"path": "s3://bucket/agent.msi"},
    "SetRegistry": [
        {"path": "HKLM:\\SOFTWARE\\MySoftWare", "name": "MyName", "value": "First", "type": "SZ"},
        {"path": "HKEY_CURRENT_USER\\Software\\Test", "name": "V", "value": 1, "type": "DWORD"},
        {"path": "HKCU:\\Software\\Test", "name": "M", "value": ["a", "b"], "type": "MULTI_SZ"},
    ],
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_windows_modules_validate_and_refuse_to_run(name: str) -> None:
    spec = ACTIONS.get(name)
    assert spec.platforms == {Platform.windows}
    with pytest.raises(StepFailed, match=f"{name} is not supported on linux"):
        execute(name, Context(), VALID[name])


def test_shapes_and_outputs() -> None:
    assert ACTIONS.get("ExecutePowerShell").shape is InputShape.mapping
    assert ACTIONS.get("ExecutePowerShell").outputs == ("stdout",)
    assert ACTIONS.get("InstallMSI").outputs == ("logFile", "msiExitCode", "stdout")
    assert ACTIONS.get("SetRegistry").shape is InputShape.list


@pytest.mark.parametrize(
    ("name", "inputs", "message"),
    [
        ("ExecutePowerShell", {}, "exactly one of 'commands' or 'file'"),
        (
            "ExecutePowerShell",
            {"commands": ["x"], "file": "C:\\a.ps1"},
            "exactly one of 'commands' or 'file'",
        ),
        ("InstallMSI", {"path": "a.msi", "reboot": "Later"}, "'Allow', 'Force' or 'Skip'"),
        ("UninstallMSI", {}, "Field required"),
        (
            "SetRegistry",
            [{"path": "HKXX:\\Software", "name": "n", "value": "v", "type": "SZ"}],
            "registry path must start with one of",
        ),
        (
            "SetRegistry",
            [{"path": "HKLM:\\Software", "name": "n", "value": "v", "type": "STRING"}],
            "Input should be 'BINARY'",
        ),
    ],
)
def test_invalid_windows_inputs(name: str, inputs: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        execute(name, Context(), inputs)

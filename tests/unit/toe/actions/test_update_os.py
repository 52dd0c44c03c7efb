"""UpdateOS command construction for the RPM and SUSE families.

No RPM or SUSE system can exist on these Debian machines, so for those families only, the test
gives the module an executor that records the argv it would run (paths still resolve through a
real ImageRoot holding the family's os-release). The apt family runs for real on a Debian image:
tests/integration/toe/test_actions_in_image.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from pydantic import ValidationError
from tests.toe_support import Context, execute

from imagewright.paths import ImageRoot
from imagewright.run import CommandResult, OutputCallback, StrPath
from imagewright.toe.actions import Platform, StepFailed

ZYPPER_LIST = """\
Loading repository data...
S | Repository | Name        | Current Version | Available Version | Arch
--+------------+-------------+-----------------+-------------------+-------
v | Update     | libzypp     | 17.31.1         | 17.31.2           | x86_64
v | Update     | openssl-3   | 3.0.8           | 3.0.9             | x86_64
v | Update     | kernel-default | 6.4.0        | 6.4.1             | x86_64
"""


class RecordingExecutor:
    """Records argv instead of running it: stands in only for families that cannot exist here."""

    kind = "chroot"

    def __init__(self, root: Path) -> None:
        self.image = ImageRoot(root)
        self.commands: list[list[str]] = []

    def resolve(self, path: str) -> Path:
        return self.image.resolve(path)

    def run(
        self,
        argv: Sequence[StrPath],
        *,
        env: Mapping[str, str] | None = None,
        input: str | bytes | None = None,
        timeout: float | None = None,
        cwd: str | None = None,
        on_output: OutputCallback | None = None,
        check: bool = True,
        ok_codes: Sequence[int] = (0,),
    ) -> CommandResult:
        command = [str(a) for a in argv]
        self.commands.append(command)
        assert env is not None and env["DEBIAN_FRONTEND"] == "noninteractive"
        stdout = ZYPPER_LIST if command[-1] == "list-updates" else ""
        return CommandResult(command, 0, stdout, "", 0.0)


def system(tmp_path: Path, os_release: str, programs: Sequence[str]) -> RecordingExecutor:
    (tmp_path / "etc").mkdir()
    (tmp_path / "usr/bin").mkdir(parents=True)
    (tmp_path / "etc/os-release").write_text(os_release)
    for program in programs:
        (tmp_path / "usr/bin" / program).write_text("")
    return RecordingExecutor(tmp_path)


FEDORA = 'NAME="Fedora Linux"\nID=fedora\nVERSION_ID=40\n'
ROCKY = 'NAME="Rocky Linux"\nID="rocky"\nID_LIKE="rhel centos fedora"\n'
AMAZON = 'NAME="Amazon Linux"\nID="amzn"\nID_LIKE="centos rhel fedora"\nVERSION_ID="2"\n'
LEAP = 'NAME="openSUSE Leap"\nID="opensuse-leap"\nID_LIKE="suse opensuse"\n'


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        (None, [["dnf", "-y", "upgrade"]]),
        ({"exclude": ["kernel*"]}, [["dnf", "-y", "upgrade", "--exclude=kernel*"]]),
        ({"include": ["openssl", "curl"]}, [["dnf", "-y", "upgrade", "openssl", "curl"]]),
        (
            {"include": ["openssl", "curl"], "exclude": ["curl"]},
            [["dnf", "-y", "upgrade", "--exclude=curl", "openssl"]],
        ),
        ({"include": ["curl"], "exclude": ["curl"]}, []),
    ],
)
def test_rpm_family_uses_dnf(
    tmp_path: Path, inputs: dict[str, list[str]] | None, expected: list[list[str]]
) -> None:
    executor = system(tmp_path, ROCKY, ["dnf", "yum"])
    ctx = Context(executor)
    execute("UpdateOS", ctx, inputs)
    assert executor.commands == expected
    if not expected:
        assert "no package left to update" in ctx.lines[-1]


def test_rpm_family_without_dnf_uses_yum(tmp_path: Path) -> None:
    executor = system(tmp_path, AMAZON, ["yum"])
    execute("UpdateOS", Context(executor), {"exclude": ["ec2-hibinit-agent"]})
    assert executor.commands == [["yum", "-y", "upgrade", "--exclude=ec2-hibinit-agent"]]


def test_fedora_by_id(tmp_path: Path) -> None:
    executor = system(tmp_path, FEDORA, ["dnf"])
    execute("UpdateOS", Context(executor), None)
    assert executor.commands == [["dnf", "-y", "upgrade"]]


def test_suse_family_uses_zypper(tmp_path: Path) -> None:
    executor = system(tmp_path, LEAP, ["zypper"])
    execute("UpdateOS", Context(executor), None)
    assert executor.commands == [
        ["zypper", "--non-interactive", "refresh"],
        ["zypper", "--non-interactive", "update"],
    ]


def test_suse_exclude_updates_the_rest_of_the_listed_updates(tmp_path: Path) -> None:
    executor = system(tmp_path, LEAP, ["zypper"])
    execute("UpdateOS", Context(executor), {"exclude": ["kernel-default"]})
    assert executor.commands == [
        ["zypper", "--non-interactive", "refresh"],
        ["zypper", "--non-interactive", "list-updates"],
        ["zypper", "--non-interactive", "update", "libzypp", "openssl-3"],
    ]


def test_suse_include(tmp_path: Path) -> None:
    executor = system(tmp_path, LEAP, ["zypper"])
    execute(
        "UpdateOS", Context(executor), {"include": ["openssl-3", "libzypp"], "exclude": ["libzypp"]}
    )
    assert executor.commands[-1] == ["zypper", "--non-interactive", "update", "openssl-3"]


def test_unknown_or_missing_system_fails(tmp_path: Path) -> None:
    executor = system(tmp_path, 'ID=alpine\nPRETTY_NAME="Alpine Linux v3.20"\n', ["apk"])
    with pytest.raises(StepFailed, match=r"no package manager for 'Alpine Linux v3\.20'"):
        execute("UpdateOS", Context(executor), None)
    (tmp_path / "etc/os-release").write_text("ID=debian\n")
    with pytest.raises(StepFailed, match="apt-get is not installed in the target"):
        execute("UpdateOS", Context(executor), None)
    (tmp_path / "etc/os-release").unlink()
    with pytest.raises(StepFailed, match="the target has no os-release file"):
        execute("UpdateOS", Context(executor), None)
    assert executor.commands == []


def test_windows_platform_and_inputs(tmp_path: Path) -> None:
    executor = system(tmp_path, FEDORA, ["dnf"])
    with pytest.raises(StepFailed, match="UpdateOS for windows is not supported"):
        execute(
            "UpdateOS", Context(executor, platform=Platform.windows), {"include": ["KB1234567"]}
        )
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        execute("UpdateOS", Context(executor), {"packages": ["x"]})

"""UpdateOS: install the available package updates of the target with its own package manager.

The family comes from the TARGET's /etc/os-release (ID, then ID_LIKE): apt-get for Debian and
Ubuntu, dnf (or yum when dnf is absent) for the RPM family, zypper for SUSE. Every command runs
through the step's executor, non-interactively. `include` limits the update to those packages,
`exclude` removes packages from it; both given means include minus exclude. Packages named in
`include` are only upgraded, never newly installed.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

from pydantic import Field

from imagewright.config.yamlload import StrictModel
from imagewright.errors import ImagewrightError
from imagewright.run import base_environment
from imagewright.toe.actions import InputShape, Outputs, Platform, StepContext, StepFailed, action
from imagewright.toe.actions._target import Target, Text

APT_IDS = {"debian", "ubuntu"}
RPM_IDS = {"rhel", "fedora", "centos", "amzn", "rocky", "almalinux", "ol"}
SUSE_IDS = {"sles", "suse", "opensuse", "opensuse-leap", "opensuse-tumbleweed"}

APT_OPTIONS = (
    "-y",
    "-o",
    "Dpkg::Options::=--force-confdef",
    "-o",
    "Dpkg::Options::=--force-confold",
)
APT_INSTALL = re.compile(r"^Inst (\S+)", re.MULTILINE)
ZYPPER_UPDATE = re.compile(r"^v\s*\|[^|]*\|\s*([^|\s]+)\s*\|", re.MULTILINE)


class UpdateOSInput(StrictModel):
    include: list[Text] = Field(default_factory=list)
    exclude: list[Text] = Field(default_factory=list)


def os_release(target: Target) -> dict[str, str]:
    """The target's os-release fields (/etc/os-release, else /usr/lib/os-release)."""
    for candidate in ("/etc/os-release", "/usr/lib/os-release"):
        host = target.path(candidate)
        if host.is_file():
            fields: dict[str, str] = {}
            for line in host.read_text(errors="replace").splitlines():
                key, sep, value = line.partition("=")
                if sep and key.strip() and not key.startswith("#"):
                    words = shlex.split(value, comments=False) or [""]
                    fields[key.strip()] = words[0]
            return fields
    raise StepFailed("UpdateOS cannot tell the distribution: the target has no os-release file")


def family(release: dict[str, str]) -> str:
    ids = [release.get("ID", "").lower(), *release.get("ID_LIKE", "").lower().split()]
    for name in ids:
        if name in APT_IDS:
            return "apt"
        if name in RPM_IDS:
            return "rpm"
        if name in SUSE_IDS or name.startswith("opensuse"):
            return "suse"
    raise StepFailed(
        f"UpdateOS has no package manager for '{release.get('PRETTY_NAME') or ids[0]}': "
        "apt-get, dnf, yum and zypper are supported"
    )


class Updater:
    """Runs one package manager inside the target and streams its output to the console."""

    def __init__(self, ctx: StepContext, target: Target) -> None:
        self.ctx = ctx
        self.target = target
        self.env = base_environment({"DEBIAN_FRONTEND": "noninteractive"})

    def has(self, program: str) -> bool:
        return any(
            self.target.path(f"{folder}/{program}").is_file() for folder in ("/usr/bin", "/bin")
        )

    def run(self, *argv: str, echo: bool = True) -> str:
        self.ctx.console("+ " + " ".join(argv))
        try:
            result = self.ctx.executor.run(
                argv,
                env=self.env,
                timeout=self.ctx.timeout,
                on_output=(lambda _stream, line: self.ctx.console(line.rstrip("\n")))
                if echo
                else None,
            )
        except ImagewrightError as e:
            raise StepFailed(f"UpdateOS: {e.message}") from e
        return result.stdout

    def apt(self, include: Sequence[str], exclude: Sequence[str]) -> None:
        self.run("apt-get", "update")
        if not include and not exclude:
            self.run("apt-get", *APT_OPTIONS, "upgrade", "--with-new-pkgs")
            return
        if not include:
            simulated = self.run("apt-get", "-s", "upgrade", "--with-new-pkgs", echo=False)
            include = APT_INSTALL.findall(simulated)
        packages = [p for p in include if p not in exclude]
        if self.nothing_to_do(packages):
            return
        self.run("apt-get", *APT_OPTIONS, "install", "--only-upgrade", *packages)

    def rpm(self, include: Sequence[str], exclude: Sequence[str]) -> None:
        manager = "dnf" if self.has("dnf") else "yum"
        packages = [p for p in include if p not in exclude]
        if include and self.nothing_to_do(packages):
            return
        excluded = [f"--exclude={p}" for p in exclude]
        self.run(manager, "-y", "upgrade", *excluded, *packages)

    def suse(self, include: Sequence[str], exclude: Sequence[str]) -> None:
        self.run("zypper", "--non-interactive", "refresh")
        if not include and exclude:
            listed = self.run("zypper", "--non-interactive", "list-updates", echo=False)
            include = ZYPPER_UPDATE.findall(listed)
        packages = [p for p in include if p not in exclude]
        if (include or exclude) and self.nothing_to_do(packages):
            return
        self.run("zypper", "--non-interactive", "update", *packages)

    def nothing_to_do(self, packages: Sequence[str]) -> bool:
        if not packages:
            self.ctx.console("UpdateOS: no package left to update after include/exclude")
        return not packages


@action(
    "UpdateOS",
    platforms={Platform.linux, Platform.windows},
    shape=InputShape.optional_mapping,
    inputs=UpdateOSInput,
)
def update_os(ctx: StepContext, inputs: UpdateOSInput | None) -> Outputs:
    """Install available OS updates (apt-get, dnf/yum or zypper), with include/exclude lists."""
    if ctx.platform is not Platform.linux:
        raise StepFailed(
            f"UpdateOS for {ctx.platform} is not supported: only Linux updates run here"
        )
    chosen = inputs or UpdateOSInput()
    target = Target(ctx)
    updater = Updater(ctx, target)
    kind = family(os_release(target))
    programs = {"apt": ("apt-get",), "rpm": ("dnf", "yum"), "suse": ("zypper",)}[kind]
    if not any(updater.has(program) for program in programs):
        raise StepFailed(f"UpdateOS: {' or '.join(programs)} is not installed in the target")
    update = {"apt": updater.apt, "rpm": updater.rpm, "suse": updater.suse}[kind]
    update(chosen.include, chosen.exclude)
    return {}

"""Pending updates of a Debian image, from the host's mirror.

apt runs on the host against the image's dpkg status (`-o Dir::State::status=`), with its lists,
cache and sources in a temporary folder, and only simulates the upgrade. Not in a chroot of the
image: a scan must not change what it scans (apt-get update would write the image's lists, and
disk images are opened read-only), and nothing needs to execute inside the image to know which
of its packages have newer versions. The host is Debian too, so its apt reads the image's status.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from imagewright.errors import CommandError
from imagewright.findings import Finding, Severity
from imagewright.images.mirror import debian_sources
from imagewright.paths import ImageRoot
from imagewright.run import require_tool, run

log = logging.getLogger(__name__)

STATUS = "/var/lib/dpkg/status"
KEYRING = "/usr/share/keyrings/debian-archive-keyring.gpg"
_INST = re.compile(r"^Inst (\S+) \[([^\]]+)\] \((\S+) ([^\[]*)\[", re.M)


@dataclass(frozen=True, slots=True)
class Upgrade:
    package: str
    installed: str
    candidate: str
    origins: str

    @property
    def security(self) -> bool:
        return "security" in self.origins.lower()


@dataclass(slots=True)
class PatchStatus:
    suite: str
    upgrades: list[Upgrade] = field(default_factory=list)

    @property
    def security(self) -> list[Upgrade]:
        return [u for u in self.upgrades if u.security]


def image_suite(root: ImageRoot) -> str | None:
    """The Debian codename of the image (VERSION_CODENAME in os-release), if it is Debian."""
    for path in ("/etc/os-release", "/usr/lib/os-release"):
        if root.is_file(path):
            fields = dict(
                line.split("=", 1) for line in root.read_text(path).splitlines() if "=" in line
            )
            if fields.get("ID", "").strip('"') == "debian":
                return fields.get("VERSION_CODENAME", "").strip('"') or None
    return None


def _architecture(root: ImageRoot) -> str:
    status = root.read_text(STATUS) if root.is_file(STATUS) else ""
    for stanza in status.split("\n\n"):
        if "Package: dpkg\n" in stanza:
            match = re.search(r"^Architecture: (\S+)", stanza, re.M)
            if match:
                return match.group(1)
    return "amd64"


@contextmanager
def image_apt(root: ImageRoot, suite: str, *, timeout: float = 600) -> Iterator[list[str]]:
    """apt options that read the image's package status and the host mirror's lists for suite;
    the lists are fetched (apt-get update) into a temporary folder before this yields."""
    require_tool("apt-get")
    keyring = root.resolve(KEYRING)
    if not keyring.is_file():
        keyring = Path(KEYRING)
    architecture = _architecture(root)
    with tempfile.TemporaryDirectory(prefix="imagewright-apt-") as work:
        state = Path(work)
        lines = [
            f"deb [signed-by={keyring}] {s.uri} {s.suite} {' '.join(s.components)}"
            for s in debian_sources(suite)
        ]
        (state / "sources.list").write_text("\n".join(lines) + "\n")
        for folder in ("lists/partial", "cache/archives/partial", "parts", "preferences.d"):
            (state / folder).mkdir(parents=True)
        settings = {
            "Dir::State::status": str(root.resolve(STATUS)),
            "Dir::State::Lists": str(state / "lists"),
            "Dir::State::extended_states": str(state / "extended_states"),
            "Dir::Cache": str(state / "cache"),
            "Dir::Etc::SourceList": str(state / "sources.list"),
            "Dir::Etc::SourceParts": str(state / "parts"),
            "Dir::Etc::Preferences": str(state / "preferences"),
            "Dir::Etc::PreferencesParts": str(state / "preferences.d"),
            "APT::Architecture": architecture,
            "APT::Architectures": architecture,
            "APT::Sandbox::User": "root",
            "Acquire::Languages": "none",
            "Debug::NoLocking": "1",
        }
        options = [f"-o{key}={value}" for key, value in settings.items()]
        try:
            run(["apt-get", "-q", *options, "update"], timeout=timeout, log_as="apt-get update")
        except CommandError as error:
            raise CommandError(
                error.argv,
                error.returncode,
                error.stderr,
                hint="the Debian mirror of this host's apt sources must be reachable; "
                "skip the patch check with --skip patches",
            ) from None
        yield options


def pending_updates(root: ImageRoot, suite: str, *, timeout: float = 600) -> PatchStatus:
    """Upgrades that apt would install in the image from the host's mirror for suite."""
    with image_apt(root, suite, timeout=timeout) as options:
        result = run(
            ["apt-get", *options, "-s", "dist-upgrade"], timeout=timeout, log_as="apt-get -s"
        )
    upgrades = [
        Upgrade(m.group(1), m.group(2), m.group(3), m.group(4).strip())
        for m in _INST.finditer(result.stdout)
    ]
    return PatchStatus(suite, upgrades)


def _listing(upgrades: list[Upgrade]) -> str:
    names = ", ".join(u.package for u in upgrades[:8])
    more = f" and {len(upgrades) - 8} more" if len(upgrades) > 8 else ""
    return f"{len(upgrades)} packages: {names}{more}"


def patch_findings(status: PatchStatus) -> list[Finding]:
    findings = []
    if status.security:
        findings.append(
            Finding(
                rule_id="pending-security-updates",
                category="patch",
                severity=Severity.high,
                title=f"Security updates of {status.suite}-security are not installed",
                path=STATUS,
                evidence=_listing(status.security),
                remediation="Install all updates during the build (the update-linux component "
                "or `apt-get dist-upgrade`), then rebuild the image",
            )
        )
    other = [u for u in status.upgrades if not u.security]
    if other:
        findings.append(
            Finding(
                rule_id="pending-updates",
                category="patch",
                severity=Severity.low,
                title="Package updates are not installed",
                path=STATUS,
                evidence=_listing(other),
                remediation="Install all updates during the build, then rebuild the image",
            )
        )
    return findings

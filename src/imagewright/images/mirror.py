"""The Debian mirror this host uses, read from its apt sources at run time.

No mirror address is written into imagewright: bases are made from whatever the host's apt is
configured to use, so builds work behind the same proxies and snapshots the host does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from imagewright.errors import ConfigError, Problem

APT_ROOT = Path("/etc/apt")


@dataclass(frozen=True, slots=True)
class AptSource:
    uri: str
    suite: str
    components: tuple[str, ...]

    def line(self) -> str:
        return f"deb {self.uri} {self.suite} {' '.join(self.components)}"


def _one_line_sources(text: str) -> list[AptSource]:
    found = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("deb "):
            continue
        line = re.sub(r"\[[^\]]*\]", "", line)
        parts = line.split()
        if len(parts) >= 4:
            found.append(AptSource(parts[1].rstrip("/"), parts[2], tuple(parts[3:])))
    return found


def _deb822_sources(text: str) -> list[AptSource]:
    found = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for raw in stanza.splitlines():
            if raw.startswith("#") or ":" not in raw:
                continue
            key, value = raw.split(":", 1)
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split() or fields.get("enabled") == "no":
            continue
        for uri in fields.get("uris", "").split():
            for suite in fields.get("suites", "").split():
                components = tuple(fields.get("components", "main").split())
                found.append(AptSource(uri.rstrip("/"), suite, components))
    return found


def host_sources(apt_root: Path = APT_ROOT) -> list[AptSource]:
    sources: list[AptSource] = []
    listing = apt_root / "sources.list"
    if listing.exists():
        sources += _one_line_sources(listing.read_text())
    folder = apt_root / "sources.list.d"
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if path.suffix == ".list":
                sources += _one_line_sources(path.read_text())
            elif path.suffix == ".sources":
                sources += _deb822_sources(path.read_text())
    return sources


def _is_debian(source: AptSource) -> bool:
    return "debian" in source.uri and not any(
        other in source.uri for other in ("nodesource", "cloud.google", "docker")
    )


def debian_sources(suite: str, apt_root: Path = APT_ROOT) -> list[AptSource]:
    """Sources for a Debian suite (with its -updates and -security) from the host's mirror."""
    debian = [s for s in host_sources(apt_root) if _is_debian(s)]
    archive = [s for s in debian if "security" not in s.uri]
    security = [s for s in debian if "security" in s.uri]
    if not archive:
        raise ConfigError(
            Problem(f"no Debian mirror is configured in {apt_root}/sources.list(.d)"),
            hint="configure apt on this host with a Debian mirror; imagewright uses the same one",
        )
    components = archive[0].components
    result = [AptSource(archive[0].uri, suite, components)]
    result.append(AptSource(archive[0].uri, f"{suite}-updates", components))
    if security:
        result.append(AptSource(security[0].uri, f"{suite}-security", components))
    return result

"""The local component store: versioned AWSTOE documents, validated when they are created.

Like Image Builder's CreateComponent: a name, a semantic version x.y.z (each create of the same
x.y.z gets the next build number /n), a platform, and the document. The type is BUILD when the
document has a build or validate phase, TEST otherwise.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from imagewright.config.recipe import RESOURCE_NAME
from imagewright.errors import ConfigError, Problem
from imagewright.pipeline.catalog import Catalog, StoredComponent
from imagewright.pipeline.versions import is_semantic_version

PLATFORMS = ("Linux", "Windows", "macOS")


def create_component(
    catalog: Catalog,
    document: Path,
    *,
    semantic_version: str,
    name: str | None = None,
    platform: str = "Linux",
    description: str | None = None,
    change_description: str | None = None,
) -> StoredComponent:
    """Validate document for platform and store it as name x.y.z/n."""
    from imagewright.toe.actions import Platform
    from imagewright.toe.document import load

    if platform not in PLATFORMS:
        raise ConfigError(
            Problem(
                f"unknown platform '{platform}'; expected one of: {', '.join(PLATFORMS)}",
                field="platform",
            ),
        )
    if not is_semantic_version(semantic_version):
        raise ConfigError(
            Problem(
                f"'{semantic_version}' is not a semantic version: expected x.y.z with numbers "
                "(no wildcards), each 0 to 1073741823",
                field="semanticVersion",
            )
        )
    loaded = load(document, platform=Platform(platform.lower()))
    if name is None:
        name = loaded.document.name
        if not name:
            raise ConfigError(
                Problem("the document has no name", file=document, field="name"),
                hint="give one with --name",
            )
    if not re.match(RESOURCE_NAME, name):
        raise ConfigError(
            Problem(
                f"'{name}' is not a valid component name: 3-128 letters, digits, '-', '_' or "
                "spaces (not at either end)",
                field="name",
            )
        )
    phases = {phase.name for phase in loaded.document.phases}
    return catalog.add_component(
        name,
        semantic_version,
        platform=platform,
        type="BUILD" if phases & {"build", "validate"} else "TEST",
        description=description or loaded.document.description,
        change_description=change_description,
        document=loaded.text,
        sha256=hashlib.sha256(loaded.text.encode()).hexdigest(),
    )

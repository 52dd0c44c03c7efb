"""Fixtures of the real builds: a state folder whose cache of bases is shared across runs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.loop_support import loops_backed_below

from imagewright.mounts import mounts_below

# Shared across runs like tests/conftest.py's bases: the Debian tarball and base disks.
PIPELINE_CACHE = (
    Path(os.environ.get("IMAGEWRIGHT_TEST_CACHE", "/var/cache/imagewright/test-bases"))
    / "pipeline-cache"
)


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    """A fresh state folder whose cache (bases) is shared with every other run."""
    PIPELINE_CACHE.mkdir(parents=True, exist_ok=True)
    folder = tmp_path / "state"
    folder.mkdir()
    (folder / "cache").symlink_to(PIPELINE_CACHE)
    yield folder
    assert not mounts_below(tmp_path), "mounts left behind"
    assert loops_backed_below(tmp_path) == [], "loop devices left behind"


COMPONENT = """\
name: {name}
schemaVersion: 1.0
phases:
  - name: build
    steps:
      - name: Configure
        action: ExecuteBash
        inputs:
          commands:
            - echo "{{{{ Motd }}}}" > /etc/motd
            - mkdir -p /root/.ssh
            - echo "ssh-ed25519 AAAAbuildkey builder" > /root/.ssh/authorized_keys
            - {build_command}
  - name: validate
    steps:
      - name: MotdWritten
        action: ExecuteBash
        inputs:
          commands:
            - grep -qx "{{{{ Motd }}}}" /etc/motd
  - name: test
    steps:
      - name: MotdInImage
        action: ExecuteBash
        inputs:
          commands:
            - grep -qx "{{{{ Motd }}}}" /etc/motd
            - test ! -e /root/.ssh/authorized_keys
parameters:
  - Motd:
      type: string
      default: unset
"""


def write_recipe(
    folder: Path,
    *,
    build_command: str = "true",
    name: str = "itest",
    settings: str = "outputFormats: [raw, qcow2]\n",
) -> Path:
    """A recipe with one component (motd, a login key the clean-up must remove, its tests);
    `settings` adds recipe fields."""
    (folder / "component.yml").write_text(COMPONENT.format(name=name, build_command=build_command))
    recipe = folder / "recipe.yml"
    recipe.write_text(
        f"""\
name: {name}
semanticVersion: 1.0.0
parentImage: debian:12
components:
  - path: component.yml
    parameters: [{{name: Motd, value: [built-by-imagewright]}}]
blockDeviceMappings:
  - deviceName: /dev/xvda
    ebs: {{volumeSize: 2, encrypted: true, kmsKeyId: alias/images}}
{settings}"""
    )
    return recipe

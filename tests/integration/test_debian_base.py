from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def test_base_is_a_real_debian_tree(debian_tree: Path) -> None:
    assert "bookworm" in (debian_tree / "etc/os-release").read_text()
    assert (debian_tree / "usr/sbin/sshd").exists()
    assert (debian_tree / "var/lib/dpkg/info/openssh-server.md5sums").exists()

"""Every hygiene and configuration check with a positive and a negative case, on small trees."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from imagewright.findings import Finding
from imagewright.paths import ImageRoot
from imagewright.scan.checks import CHECKS, CheckContext, run_checks
from imagewright.scan.packages import PackageFiles

PASSWD = "root:x:0:0:root:/root:/bin/bash\nadmin:x:1000:1000::/home/admin:/bin/bash\n"
SHADOW = "root:*:20000:0:99999:7:::\nadmin:!:20000:0:99999:7:::\n"
GROUP = "root:x:0:\nadmin:x:1000:\n"
SSHD = "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\n"


def write(root: Path, path: str, text: str = "", mode: int = 0o644) -> Path:
    host = root / path.lstrip("/")
    host.parent.mkdir(parents=True, exist_ok=True)
    host.write_text(text)
    host.chmod(mode)
    return host


def base_tree(root: Path) -> Path:
    """A tree that passes every check."""
    write(root, "/etc/passwd", PASSWD)
    write(root, "/etc/shadow", SHADOW, 0o640)
    write(root, "/etc/group", GROUP)
    write(root, "/etc/machine-id", "")
    write(root, "/etc/ssh/sshd_config", SSHD)
    (root / "etc/ssh/sshd_config.d").mkdir()
    (root / "root/.ssh").mkdir(parents=True)
    (root / "home/admin").mkdir(parents=True)
    (root / "tmp").mkdir(mode=0o1777)
    (root / "tmp").chmod(0o1777)
    write(root, "/var/lib/dpkg/status", "")
    write(root, "/usr/bin/passwd", "elf", 0o4755)
    digest = hashlib.md5(b"elf", usedforsecurity=False).hexdigest()
    write(root, "/var/lib/dpkg/info/passwd.md5sums", f"{digest}  usr/bin/passwd\n")
    return root


def findings(root: Path, name: str) -> list[Finding]:
    image = ImageRoot(root)
    return run_checks(CheckContext(image, PackageFiles(image)), [name])


def _history(root: Path) -> None:
    write(root, "/home/admin/.bash_history", "sudo -i\nls\n")


def _machine_id(root: Path) -> None:
    write(root, "/etc/machine-id", "4f0c2a1e9b8d4e6f8a7b6c5d4e3f2a1b\n")


def _cloud_init(root: Path) -> None:
    write(root, "/var/lib/cloud/instances/i-0abc/user-data.txt", "#cloud-config\n")


def _toe(root: Path) -> None:
    write(root, "/tmp/TOE_2026-12-03_12-00-00_UTC-0_abc/console.log", "ran\n")


def _empty_password(root: Path) -> None:
    write(root, "/etc/shadow", SHADOW.replace("admin:!:", "admin::"), 0o640)


def _root_password(root: Path) -> None:
    write(root, "/etc/shadow", SHADOW.replace("root:*:", "root:$y$j9T$abc$def:"), 0o640)


def _root_login(root: Path) -> None:
    write(root, "/etc/ssh/sshd_config.d/50-build.conf", "PermitRootLogin yes\n")


def _password_auth(root: Path) -> None:
    write(root, "/etc/ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\n")


def _empty_passwords(root: Path) -> None:
    write(root, "/etc/ssh/sshd_config", SSHD + "PermitEmptyPasswords yes\n")


def _world_writable(root: Path) -> None:
    write(root, "/opt/app/run.sh", "#!/bin/sh\n", 0o777)


def _suid(root: Path) -> None:
    write(root, "/usr/local/bin/helper", "elf", 0o4755)


def _unowned(root: Path) -> None:
    os.chown(write(root, "/opt/data.bin", "x"), 4242, 4242)


def _host_keys(root: Path) -> None:
    write(root, "/etc/ssh/ssh_host_ed25519_key", "key", 0o600)


def _authorized_keys(root: Path) -> None:
    write(root, "/root/.ssh/authorized_keys", "ssh-ed25519 AAAAC3Nza builder\n", 0o600)


POSITIVE: dict[str, tuple[Callable[[Path], None], str]] = {
    "ssh-host-keys": (_host_keys, "/etc/ssh/ssh_host_ed25519_key"),
    "authorized-keys": (_authorized_keys, "/root/.ssh/authorized_keys"),
    "shell-history": (_history, "/home/admin/.bash_history"),
    "machine-id-set": (_machine_id, "/etc/machine-id"),
    "cloud-init-state": (_cloud_init, "/var/lib/cloud/instances"),
    "toe-logs": (_toe, "/tmp/TOE_2026-12-03_12-00-00_UTC-0_abc"),
    "empty-password": (_empty_password, "/etc/shadow"),
    "root-password-set": (_root_password, "/etc/shadow"),
    "sshd-permit-root-login": (_root_login, "/etc/ssh/sshd_config.d/50-build.conf"),
    "sshd-password-authentication": (_password_auth, "/etc/ssh/sshd_config"),
    "sshd-permit-empty-passwords": (_empty_passwords, "/etc/ssh/sshd_config"),
    "world-writable": (_world_writable, "/opt/app/run.sh"),
    "suid-sgid-unpackaged": (_suid, "/usr/local/bin/helper"),
    "unowned-files": (_unowned, "/opt/data.bin"),
}


def test_every_check_is_declared_completely_and_tested() -> None:
    assert set(POSITIVE) == set(CHECKS.names())
    for spec in CHECKS:
        assert spec.title and spec.remediation and spec.severity


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_check_negative(tmp_path: Path, name: str) -> None:
    assert findings(base_tree(tmp_path), name) == []


@pytest.mark.parametrize("name", sorted(POSITIVE))
def test_check_positive(tmp_path: Path, name: str) -> None:
    root = base_tree(tmp_path)
    make, path = POSITIVE[name]
    make(root)
    found = findings(root, name)
    assert [f.path for f in found] == [path]
    assert found[0].rule_id == name
    spec = CHECKS.get(name)
    assert found[0].severity == spec.severity
    if spec.cis:
        assert found[0].references == {"cis-debian-12": spec.cis}


def test_sticky_folder_files_and_changed_package_files(tmp_path: Path) -> None:
    root = base_tree(tmp_path)
    write(root, "/tmp/shared.sock", "", 0o666)  # in a sticky folder: allowed
    assert findings(root, "world-writable") == []
    write(root, "/usr/bin/passwd", "patched", 0o4755)  # a package's SUID file, changed
    assert [f.path for f in findings(root, "suid-sgid-unpackaged")] == ["/usr/bin/passwd"]


def test_sshd_first_value_wins_and_match_blocks_are_not_global(tmp_path: Path) -> None:
    root = base_tree(tmp_path)
    write(root, "/etc/ssh/sshd_config.d/10-a.conf", "PermitRootLogin no\n")
    write(root, "/etc/ssh/sshd_config.d/20-b.conf", "PermitRootLogin yes\n")
    assert findings(root, "sshd-permit-root-login") == []
    write(root, "/etc/ssh/sshd_config", SSHD + "Match User admin\n  PermitEmptyPasswords yes\n")
    assert findings(root, "sshd-permit-empty-passwords") == []


def test_hostile_symlinks_do_not_reach_the_host(tmp_path: Path) -> None:
    root = base_tree(tmp_path)
    (root / "etc/shadow").unlink()
    (root / "etc/shadow").symlink_to("/etc/shadow")  # absolute: resolves inside the image
    (root / "root/.bash_history").symlink_to("../../../../../../etc/passwd")
    assert findings(root, "empty-password") == []
    assert findings(root, "root-password-set") == []
    assert findings(root, "shell-history") == []

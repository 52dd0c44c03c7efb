"""Action modules inside a real Debian image through the chroot executor: owners from the image's
own account files, hostile symlinks that must not reach the host, and UpdateOS with real apt."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from tests.toe_support import Context, execute

from imagewright.executors.chroot import ChrootExecutor
from imagewright.toe.actions import StepFailed

pytestmark = pytest.mark.integration


@pytest.fixture
def host_secret(tmp_path: Path) -> Path:
    """A host file a hostile image tries to reach; it must stay exactly as it is."""
    secret = tmp_path / "host" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("host secret\n")
    secret.chmod(0o600)
    return secret


def assert_untouched(secret: Path) -> None:
    assert secret.read_text() == "host secret\n"
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert (secret.stat().st_uid, secret.stat().st_gid) == (0, 0)
    assert sorted(p.name for p in secret.parent.iterdir()) == ["secret.txt"]


def test_file_modules_in_a_hostile_image(debian_tree: Path, host_secret: Path) -> None:
    root = debian_tree
    (root / "etc/evil").symlink_to(host_secret)  # absolute: means the image's copy of that path
    (root / "etc/climb").symlink_to("../../../../../../../../" + str(host_secret).lstrip("/"))
    (root / "opt/hostdir").symlink_to(host_secret.parent)  # a symlinked parent folder
    ctx = Context(ChrootExecutor(root))
    in_image = root / str(host_secret).lstrip("/")
    in_image.parent.mkdir(parents=True)

    execute(
        "CreateFile", ctx, [{"path": "/etc/evil", "content": "written\n", "permissions": "0644"}]
    )
    execute("AppendFile", ctx, [{"path": "/etc/climb", "content": "appended\n"}])
    assert in_image.read_text() == "written\nappended\n"
    assert execute("ReadFile", ctx, [{"path": "/etc/evil"}]) == {"content": "written\nappended\n"}
    execute("SetFilePermissions", ctx, [{"path": "/etc/climb", "permissions": "0777"}])
    execute("SetFileOwner", ctx, [{"path": "/etc/evil", "owner": "_apt", "group": "nogroup"}])
    execute("SetFileEncoding", ctx, [{"path": "/etc/evil", "encoding": "utf16"}])
    execute("CopyFile", ctx, [{"source": "/etc/hostname", "destination": "/opt/hostdir/"}])
    execute("CreateFolder", ctx, [{"path": "/opt/hostdir/made"}])
    execute("CreateSymlink", ctx, [{"path": "/opt/hostdir/link", "target": "/etc/hostname"}])
    execute("CopyFolder", ctx, [{"source": "/etc/apt", "destination": "/opt/hostdir/apt"}])
    execute("SetFolderPermissions", ctx, [{"path": "/opt/hostdir", "permissions": "0700"}])
    execute("SetFolderOwner", ctx, [{"path": "/opt/hostdir", "owner": "_apt"}])
    listed = execute("ListFiles", ctx, [{"path": "/opt/hostdir"}])["files"].split(",")
    assert listed == ["/opt/hostdir/hostname", "/opt/hostdir/link", "/opt/hostdir/secret.txt"]
    execute(
        "MoveFile", ctx, [{"source": "/opt/hostdir/hostname", "destination": "/opt/hostdir/h2"}]
    )
    execute("DeleteFile", ctx, [{"path": "/opt/hostdir/*"}, {"path": "/etc/evil"}])
    execute("DeleteFolder", ctx, [{"path": "/opt/hostdir/apt", "force": True}])
    assert_untouched(host_secret)
    assert (root / "etc/climb").is_symlink() and not (root / "etc/evil").exists()
    assert sorted(p.name for p in in_image.parent.iterdir()) == ["made"]

    # Recursive work: links inside a tree are never followed.
    (root / "srv/data").mkdir(parents=True)
    (root / "srv/data/own.txt").write_text("own")
    (root / "srv/data/to-host").symlink_to(host_secret.parent)
    (root / "srv/data/file-link").symlink_to(host_secret)
    execute("SetFolderPermissions", ctx, [{"path": "/srv/data", "permissions": "0777"}])
    execute("SetFolderOwner", ctx, [{"path": "/srv/data", "owner": "_apt"}])
    execute("CopyFolder", ctx, [{"source": "/srv/data", "destination": "/srv/copy"}])
    execute("MoveFolder", ctx, [{"source": "/srv/copy", "destination": "/srv/moved"}])
    execute("DeleteFolder", ctx, [{"path": "/srv/data", "force": True}])
    assert_untouched(host_secret)
    assert (root / "srv/moved/own.txt").read_text() == "own"
    assert (root / "srv/moved/to-host").readlink() == host_secret.parent

    # Owners are the image's users, read from the image's /etc/passwd and /etc/group.
    apt_account = re.search(r"^_apt:x:(\d+):(\d+):", (root / "etc/passwd").read_text(), re.M)
    assert apt_account is not None
    uid, gid = apt_account.groups()
    with (root / "etc/passwd").open("a") as accounts:
        accounts.write("imageonly:x:7001:7002::/nonexistent:/usr/sbin/nologin\n")
    with (root / "etc/group").open("a") as groups:
        groups.write("imagegroup:x:7002:\n")
    execute(
        "CreateFile",
        ctx,
        [
            {
                "path": "/home/app/config",
                "owner": "imageonly",
                "group": "imagegroup",
                "permissions": "0600",
            }
        ],
    )
    info = (root / "home/app/config").stat()
    assert (info.st_uid, info.st_gid) == (7001, 7002)
    execute("SetFileOwner", ctx, [{"path": "/home/app/config", "owner": "_apt"}])
    info = (root / "home/app/config").stat()
    assert (info.st_uid, info.st_gid) == (int(uid), int(gid))
    with pytest.raises(StepFailed, match="user 'imagewright-nobody' does not exist"):
        execute("SetFileOwner", ctx, [{"path": "/home/app/config", "owner": "imagewright-nobody"}])


OLD = "0~old"  # sorts before every real version


def installed_version(executor: ChrootExecutor, package: str) -> str:
    result = executor.run(["dpkg-query", "-W", "-f=${Version}", package], check=False)
    return result.stdout if result.returncode == 0 else ""


def pretend_older(root: Path, package: str) -> str:
    """Rewrite the dpkg status so the installed package looks older; apt then offers the
    current version as an update, which is a real upgrade from the mirror."""
    status = root / "var/lib/dpkg/status"
    text = status.read_text()
    block = re.search(rf"^Package: {package}\n(?:.+\n)*?Version: (.+)\n", text, re.MULTILINE)
    assert block is not None
    status.write_text(text.replace(block.group(0), block.group(0).replace(block.group(1), OLD)))
    return block.group(1)


@pytest.mark.slow
@pytest.mark.network
def test_update_os_with_apt(debian_tree: Path) -> None:
    executor = ChrootExecutor(debian_tree)
    current = {name: pretend_older(debian_tree, name) for name in ("hostname", "sensible-utils")}
    ctx = Context(executor, timeout=900)

    execute("UpdateOS", ctx, {"exclude": ["hostname"]})
    assert installed_version(executor, "sensible-utils") == current["sensible-utils"]
    assert installed_version(executor, "hostname") == OLD

    execute("UpdateOS", ctx, {"include": ["hostname", "hello"], "exclude": ["sensible-utils"]})
    assert installed_version(executor, "hostname") == current["hostname"]
    assert installed_version(executor, "hello") == ""  # include only upgrades, never installs

    execute("UpdateOS", ctx, None)
    assert any(line.startswith("+ apt-get -y") and "upgrade" in line for line in ctx.lines)
    assert not (debian_tree / "usr/sbin/policy-rc.d").exists()

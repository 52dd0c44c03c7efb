"""ChrootExecutor on a real Debian tree: private mounts, clean environment, policy-rc.d."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from imagewright.errors import CommandError, CommandTimeout, UnsafePathError
from imagewright.executors.chroot import POLICY_RC_D_DENY, ChrootExecutor
from imagewright.mounts import mounts_below

pytestmark = pytest.mark.integration


@pytest.fixture
def image(module_debian_tree: Path) -> Path:
    return module_debian_tree


def test_runs_inside_the_image_with_a_clean_environment(
    image: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEAKY_HOST_VARIABLE", "1")
    executor = ChrootExecutor(image)
    result = executor.run(["sh", "-c", "cat /etc/os-release; env; pwd"], env={"STEP": "yes"})
    assert "bookworm" in result.stdout
    assert "LEAKY_HOST_VARIABLE" not in result.stdout
    assert "HOME=/root" in result.stdout
    assert "DEBIAN_FRONTEND=noninteractive" in result.stdout
    assert "LANG=C.UTF-8" in result.stdout
    assert "STEP=yes" in result.stdout
    assert result.stdout.rstrip().endswith("/")
    assert not mounts_below(image)


def test_api_file_systems_are_mounted_only_for_the_command(image: Path) -> None:
    executor = ChrootExecutor(image)
    script = "test -e /proc/self/status && test -e /dev/null && test -d /dev/pts && "
    script += "test -e /sys/kernel && touch /run/scratch && grep -c ' /run ' /proc/self/mounts && "
    script += "cat /etc/resolv.conf"
    result = executor.run(["sh", "-c", script])
    assert result.stdout.splitlines()[0] == "1"
    assert result.stdout.split("\n", 1)[1] == Path("/etc/resolv.conf").read_text()
    assert not mounts_below(image)
    assert not (image / "run/scratch").exists()


def test_working_directory_and_exit_codes(image: Path) -> None:
    executor = ChrootExecutor(image)
    assert executor.run(["pwd"], cwd="/etc").stdout == "/etc\n"
    result = executor.run(["sh", "-c", "exit 194"], check=False)
    assert result.returncode == 194
    with pytest.raises(CommandError) as error:
        executor.run(["sh", "-c", "echo nope >&2; exit 3"])
    assert error.value.returncode == 3 and "nope" in str(error.value)
    assert executor.run(["sh", "-c", "exit 3"], ok_codes=(0, 3)).returncode == 3


def test_changes_land_in_the_image_not_on_the_host(image: Path) -> None:
    executor = ChrootExecutor(image)
    executor.run(["sh", "-c", "echo made-inside > /etc/imagewright-marker"])
    assert (image / "etc/imagewright-marker").read_text() == "made-inside\n"
    assert not Path("/etc/imagewright-marker").exists()
    (image / "etc/imagewright-marker").unlink()


def test_policy_rc_d_denies_services_and_restores_the_images_own(image: Path) -> None:
    executor = ChrootExecutor(image)
    policy = image / "usr/sbin/policy-rc.d"
    assert not policy.exists()
    result = executor.run(
        ["sh", "-c", "cat /usr/sbin/policy-rc.d; /usr/sbin/policy-rc.d"], ok_codes=(101,)
    )
    assert result.stdout == POLICY_RC_D_DENY
    assert not policy.exists()

    policy.write_text("#!/bin/sh\nexit 0\n")
    policy.chmod(0o700)
    executor.run(["/usr/sbin/policy-rc.d"], ok_codes=(101,))
    assert policy.read_text() == "#!/bin/sh\nexit 0\n"
    assert policy.stat().st_mode & 0o777 == 0o700
    policy.unlink()


def test_timeout_kills_the_command_and_its_mounts_go_away(image: Path) -> None:
    executor = ChrootExecutor(image)
    started = time.monotonic()
    with pytest.raises(CommandTimeout):
        executor.run(["sh", "-c", "sleep 60 & sleep 60"], timeout=1)
    assert time.monotonic() - started < 10
    assert not mounts_below(image)
    assert not (image / "usr/sbin/policy-rc.d").exists()


def test_mounts_vanish_even_when_the_caller_is_killed(image: Path) -> None:
    program = (
        "import sys; from pathlib import Path; "
        "from imagewright.executors.chroot import ChrootExecutor; "
        "ChrootExecutor(Path(sys.argv[1])).run(['sh', '-c', 'touch /tmp/started; sleep 2'])"
    )
    caller = subprocess.Popen([sys.executable, "-c", program, str(image)])
    deadline = time.monotonic() + 20
    while not (image / "tmp/started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert (image / "tmp/started").exists()
    (image / "tmp/started").unlink()
    os.kill(caller.pid, signal.SIGKILL)
    caller.wait()
    time.sleep(2.5)  # the orphaned command finishes; its namespace and mounts die with it
    assert not mounts_below(image)


def test_resolve_stays_inside_the_image(image: Path, request: pytest.FixtureRequest) -> None:
    executor = ChrootExecutor(image)
    (image / "root/escape").symlink_to("/etc/shadow")
    (image / "root/climb").symlink_to("../../../../../../etc")
    request.addfinalizer((image / "root/escape").unlink)
    request.addfinalizer((image / "root/climb").unlink)
    assert executor.resolve("/root/escape") == image.resolve() / "etc/shadow"
    assert executor.resolve("/root/climb/passwd") == image.resolve() / "etc/passwd"
    assert executor.resolve("/../../etc/hostname") == image.resolve() / "etc/hostname"
    with pytest.raises(UnsafePathError):
        ChrootExecutor(Path("/"))


def test_hostile_resolv_conf_link_does_not_reach_the_host(image: Path) -> None:
    resolv = image / "etc/resolv.conf"
    original = resolv.read_bytes() if resolv.is_file() else None
    resolv.unlink(missing_ok=True)
    resolv.symlink_to("/etc/hostname")  # inside the image this is the image's hostname file
    before = Path("/etc/hostname").read_bytes()
    ChrootExecutor(image).run(["sh", "-c", "cat /etc/resolv.conf > /dev/null"])
    assert Path("/etc/hostname").read_bytes() == before
    assert not mounts_below(image)
    resolv.unlink()
    if original is not None:
        resolv.write_bytes(original)

"""Real builds: a Debian base made by mmdebstrap (cached on disk across runs), real loop-mounted
disks, chroots, GRUB and qemu (TCG). Nothing is mocked."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest
from tests.integration.pipeline.conftest import write_recipe
from tests.loop_support import loops_backed_below

from imagewright.images.target import open_target
from imagewright.mounts import mounts_below
from imagewright.pipeline.build import BuildFailed, build, sha256_of
from imagewright.pipeline.catalog import Catalog, ImageStatus

pytestmark = pytest.mark.integration


@pytest.mark.slow
def test_build_sanitizes_tests_boots_and_records(state: Path, tmp_path: Path) -> None:
    recipe = write_recipe(
        tmp_path,
        settings="outputFormats: [raw, qcow2]\ntests: {boot: true, bootTimeoutSeconds: 1200}\n",
    )
    output = tmp_path / "out"
    result = build(recipe, state_directory=state, output_dir=output)

    record = result.record
    assert record.status == ImageStatus.available
    assert str(record.version) == "1.0.0/1"
    assert {a.format for a in record.artifacts} == {"raw", "qcow2"}
    for artifact in record.artifacts:
        assert artifact.path.parent == output
        assert sha256_of(artifact.path) == artifact.sha256
    qcow2 = record.artifact("qcow2")
    assert qcow2 is not None
    info = json.loads(
        subprocess.run(
            ["qemu-img", "info", "--output=json", qcow2.path],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert info["format"] == "qcow2"
    assert (output / "itest-1.0.0-1.SHA256SUMS").read_text().count("\n") == 2

    # Test phase and boot test results beside the artifacts.
    suites = ElementTree.parse(output / "itest-1.0.0-1.tests.xml").getroot()  # noqa: S314 (our own file)
    assert suites.get("failures") == "0"
    assert {s.get("name") for s in suites} == {"components", "boot"}
    assert "login:" in (result.log_dir / "boot-console.log").read_text(errors="replace")

    # The service's logs stay outside; inside, the clean-up removed them and the secrets.
    assert list((result.log_dir / "build").glob("*/TOE_*/console.log"))
    assert list((result.log_dir / "test").glob("*/TOE_*/console.log"))
    raw = record.artifact("raw")
    assert raw is not None
    with open_target(raw.path, writable=False, work_dir=tmp_path / "check") as opened:
        assert opened.root.read_text("/etc/motd") == "built-by-imagewright\n"
        assert not opened.root.glob("/tmp/TOE_*")
        assert not opened.root.exists("/tmp/perform_cleanup")
        assert not opened.root.exists("/root/.ssh/authorized_keys")
        assert not opened.root.glob("/etc/ssh/ssh_host_*")
        assert opened.root.exists("/boot/grub/grub.cfg")
    notes = record.notes
    assert notes["residueCheck"]["found"] == 0
    assert notes["residueCheck"]["fingerprintedBlocks"] > 0


def test_failing_component_fails_the_build_with_logs(state: Path, tmp_path: Path) -> None:
    recipe = write_recipe(tmp_path, build_command="echo about to fail; exit 3", name="broken")
    with pytest.raises(BuildFailed, match=r"component component\.yml failed in its build/validate"):
        build(recipe, state_directory=state, output_dir=tmp_path / "out")
    with Catalog(state) as catalog:
        (record,) = catalog.images()
    assert record.status == ImageStatus.failed
    assert "component component.yml failed" in (record.error or "")
    assert not record.artifacts
    assert record.log_dir is not None
    console = next((record.log_dir / "build").glob("*/TOE_*/console.log"))
    assert "about to fail" in console.read_text()
    assert (record.log_dir / "build.log").exists()
    assert not list((state / "work").iterdir())


def test_killed_build_is_failed_and_released_by_the_next_run(state: Path, tmp_path: Path) -> None:
    recipe = write_recipe(tmp_path, build_command="touch /started; sleep 600", name="interrupted")
    process = subprocess.Popen(
        [sys.executable, "-m", "imagewright", "build", recipe, "--state-dir", state],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 600
    work = state / "work"
    while time.monotonic() < deadline:
        if list(work.glob("*/*/root/started")):
            break
        assert process.poll() is None, "the build ended before its component ran"
        time.sleep(1)
    else:
        pytest.fail("the component never started")
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert mounts_below(work), "the killed build should have left its mounts"

    with Catalog(state) as catalog:
        (record,) = catalog.images()
        assert record.status == ImageStatus.building  # nothing marks it yet
    cleanup = subprocess.run(
        [sys.executable, "-m", "imagewright", "cleanup", "--json", "--state-dir", state],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    report = json.loads(cleanup.stdout)
    assert report["failedBuilds"] == ["interrupted:1.0.0/1"]
    assert report["loopDevices"] and report["removed"]
    assert not mounts_below(work)
    assert loops_backed_below(state) == []
    assert not list(work.iterdir())
    with Catalog(state) as catalog:
        (record,) = catalog.images()
        assert record.status == ImageStatus.failed
        assert "interrupted" in (record.error or "")


def test_bad_recipe_is_refused_before_anything_is_recorded(state: Path, tmp_path: Path) -> None:
    recipe = write_recipe(tmp_path)
    recipe.write_text(recipe.read_text().replace("component.yml", "missing.yml"))
    result = subprocess.run(
        [sys.executable, "-m", "imagewright", "build", recipe, "--state-dir", state],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 2
    assert "recipe.yml:5:5: components[0].path: component document" in result.stderr
    assert "Traceback" not in result.stderr
    with Catalog(state) as catalog:
        assert catalog.images() == []

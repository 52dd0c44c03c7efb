"""A process holding an opened target is interrupted: every mount, loop device and work copy
goes, and the source is not changed."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

MakeCopy = Callable[[str | Path], Path]

HOLDER = """
import signal, sys, time
from pathlib import Path
from imagewright.errors import Interrupted
from imagewright.images.target import open_target

def terminate(signum, frame):
    raise Interrupted("terminated by SIGTERM")

signal.signal(signal.SIGTERM, terminate)
with open_target(Path(sys.argv[1]), writable=True, work_dir=Path(sys.argv[2])) as opened:
    opened.root.write_text("/etc/uncommitted", "never written back")
    print("ready", flush=True)
    while True:
        time.sleep(0.05)
"""


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("fixture", ["qcow2_image", "ext4_image"])
def test_interrupted_holder_releases_everything(
    request: pytest.FixtureRequest,
    copy_of: MakeCopy,
    tmp_path: Path,
    fixture: str,
    sig: signal.Signals,
) -> None:
    image = copy_of(request.getfixturevalue(fixture))
    work = tmp_path / "work"
    before = hashlib.sha256(image.read_bytes()).hexdigest()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, image, work],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "ready"
        holder.send_signal(sig)
        holder.wait(timeout=120)
    finally:
        holder.kill()
    assert holder.returncode != 0
    assert list(work.iterdir()) == [], "the work folder must be emptied"
    if fixture == "qcow2_image":
        assert hashlib.sha256(image.read_bytes()).hexdigest() == before
    # the autouse leak check verifies loop devices and mounts

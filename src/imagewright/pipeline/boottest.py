"""The boot test: the image boots under qemu (TCG) until its serial console shows `login:`.

The disk is attached with `snapshot=on`, so the test never changes the image. qemu's pid is
written into the work folder so `imagewright cleanup` can stop a qemu left by a killed build.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from imagewright.config.recipe import BootMode
from imagewright.errors import CommandTimeout, MissingToolError
from imagewright.run import require_tool, run

log = logging.getLogger(__name__)

LOGIN_PROMPT = b"login:"
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")


@dataclass(frozen=True, slots=True)
class BootResult:
    passed: bool
    seconds: float
    console_log: Path
    message: str


def qemu_command(disk: Path, boot: BootMode, work_dir: Path, console_log: Path) -> list[str]:
    argv = [
        require_tool("qemu-system-x86_64"),
        "-accel", "tcg",
        "-m", "1024",
        "-smp", "1",
        "-display", "none",
        "-monitor", "none",
        "-no-reboot",
        "-serial", f"file:{console_log}",
        "-pidfile", str(work_dir / "qemu.pid"),
        "-drive", f"file={disk},format=raw,if=virtio,snapshot=on",
        "-nic", "user,model=virtio-net-pci",
    ]  # fmt: skip
    if boot == BootMode.uefi:
        if not OVMF_CODE.exists():
            raise MissingToolError(
                f"UEFI firmware {OVMF_CODE} is missing",
                hint="install it with: apt-get install ovmf",
            )
        variables = work_dir / "OVMF_VARS.fd"
        shutil.copyfile(OVMF_VARS, variables)
        argv += [
            "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,file={variables}",
        ]  # fmt: skip
    return argv


def _watch_console(console_log: Path, pidfile: Path, seen: threading.Event,
                   finished: threading.Event) -> None:  # fmt: skip
    """Stop qemu as soon as the console shows the login prompt."""
    while not finished.wait(0.5):
        with contextlib.suppress(FileNotFoundError):
            if LOGIN_PROMPT in console_log.read_bytes():
                seen.set()
                with contextlib.suppress(OSError, ValueError):
                    os.kill(int(pidfile.read_text().split()[0]), signal.SIGTERM)
                return


def boot_test(disk: Path, *, boot: BootMode, timeout: float, work_dir: Path) -> BootResult:
    """Boot disk and wait for `login:` on the serial console for at most timeout seconds."""
    work_dir.mkdir(parents=True, exist_ok=True)
    console_log = work_dir / "console.log"
    console_log.unlink(missing_ok=True)
    argv = qemu_command(disk, boot, work_dir, console_log)
    seen, finished = threading.Event(), threading.Event()
    watcher = threading.Thread(
        target=_watch_console, args=(console_log, work_dir / "qemu.pid", seen, finished),
        daemon=True,
    )  # fmt: skip
    started = time.monotonic()
    watcher.start()
    try:
        result = run(argv, timeout=timeout, check=False)
        message = result.stderr.strip()
    except CommandTimeout as error:  # qemu was killed with its process group
        message = str(error)
    finally:
        finished.set()
        watcher.join()
    seconds = time.monotonic() - started
    if not seen.is_set() and console_log.exists() and LOGIN_PROMPT in console_log.read_bytes():
        seen.set()
    if seen.is_set():
        return BootResult(
            True, seconds, console_log, f"reached the login prompt in {seconds:.0f} s"
        )
    tail = console_log.read_text(errors="replace")[-2000:] if console_log.exists() else ""
    reason = f"no login prompt within {timeout:.0f} s" if seconds >= timeout else message
    return BootResult(False, seconds, console_log, f"{reason}\n{tail}".strip())

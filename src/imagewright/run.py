"""The one command runner: every external program is started here.

Children run in their own session (process group) so a timeout or an interrupt kills the whole
tree they started, never leaving orphans. The environment is built from scratch unless the caller
passes one, stdin is closed unless input is given, and failures carry the tail of stderr.
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from imagewright.errors import CommandError, CommandTimeout, MissingToolError

log = logging.getLogger(__name__)

StrPath = str | os.PathLike[str]
OutputCallback = Callable[[str, str], None]  # (stream name "stdout"|"stderr", line with newline)

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

# Debian package that provides each program, for the "install it" hint.
TOOL_PACKAGES: dict[str, str] = {
    "mmdebstrap": "mmdebstrap",
    "qemu-img": "qemu-utils",
    "qemu-nbd": "qemu-utils",
    "qemu-system-x86_64": "qemu-system-x86",
    "mkfs.ext4": "e2fsprogs",
    "mkfs.xfs": "xfsprogs",
    "mkfs.btrfs": "btrfs-progs",
    "mkfs.vfat": "dosfstools",
    "sgdisk": "gdisk",
    "sfdisk": "fdisk",
    "losetup": "mount",
    "chattr": "e2fsprogs",
    "dumpe2fs": "e2fsprogs",
    "apt-get": "apt",
    "bsdtar": "libarchive-tools",
    "unshare": "util-linux",
    "grub-install": "grub-pc-bin",
    "grub-mkimage": "grub-common",
    "mcopy": "mtools",
    "mmd": "mtools",
    "zerofree": "zerofree",
    "blkid": "util-linux",
    "blkdiscard": "util-linux",
    "blockdev": "util-linux",
    "fallocate": "util-linux",
    "fstrim": "util-linux",
    "tar": "tar",
}


@dataclass(frozen=True, slots=True)
class CommandResult:
    argv: list[str]
    returncode: int
    stdout: str
    stderr: str
    duration: float


def base_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A clean environment for tools: PATH, a UTF-8 locale, HOME, and explicit additions."""
    env = {"PATH": DEFAULT_PATH, "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": "/root"}
    if os.environ.get("TERM"):
        env["TERM"] = os.environ["TERM"]
    if extra:
        env.update(extra)
    return env


def package_of(program: str) -> str:
    name = Path(program).name
    return TOOL_PACKAGES.get(name, name)


def require_tool(name: str) -> str:
    """Absolute path of a program on PATH, or a MissingToolError that says what to install."""
    found = shutil.which(name, path=os.environ.get("PATH", "") + ":" + DEFAULT_PATH)
    if found is None:
        raise MissingToolError(
            f"required program '{name}' is not installed",
            hint=f"install it with: apt-get install {package_of(name)}",
        )
    return found


def _kill_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def run(
    argv: Sequence[StrPath],
    *,
    env: Mapping[str, str] | None = None,
    input: str | bytes | None = None,
    timeout: float | None = None,
    ok_codes: Sequence[int] = (0,),
    check: bool = True,
    cwd: StrPath | None = None,
    on_output: OutputCallback | None = None,
    log_as: str | None = None,
    preexec: Callable[[], None] | None = None,
) -> CommandResult:
    """Run argv to completion and return its output.

    env: the complete environment (default: `base_environment()`).
    on_output: called with every line as it arrives, e.g. to stream to a console log.
    check: raise CommandError when the exit code is not in ok_codes.
    Timeouts kill the child's whole process group and raise CommandTimeout.
    """
    args = [os.fspath(a) for a in argv]
    shown = log_as or " ".join(args)
    log.debug("+ %s", shown)
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            args,
            stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env) if env is not None else base_environment(),
            cwd=cwd,
            start_new_session=True,
            preexec_fn=preexec,
        )
    except FileNotFoundError as e:
        raise MissingToolError(
            f"required program '{args[0]}' is not installed",
            hint=f"install it with: apt-get install {package_of(args[0])}",
        ) from e
    except PermissionError as e:
        raise CommandError(args, 126, str(e)) from e
    try:
        stdout, stderr, timed_out = _communicate(process, input, timeout, on_output)
    except BaseException:
        # KeyboardInterrupt or anything else: take the whole tree down before unwinding.
        _kill_group(process, signal.SIGTERM)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            _kill_group(process, signal.SIGKILL)
            process.wait()
        raise
    result = CommandResult(args, process.returncode, stdout, stderr, time.monotonic() - started)
    if timed_out:
        raise CommandTimeout(
            args, process.returncode, f"timed out after {timeout} seconds\n{stderr}"
        )
    if check and result.returncode not in ok_codes:
        raise CommandError(args, result.returncode, stderr or stdout)
    return result


def _communicate(
    process: subprocess.Popen[bytes],
    input: str | bytes | None,
    timeout: float | None,
    on_output: OutputCallback | None,
) -> tuple[str, str, bool]:
    deadline = None if timeout is None else time.monotonic() + timeout
    if process.stdin is not None:
        data = input.encode() if isinstance(input, str) else (input or b"")
        try:
            process.stdin.write(data)
            process.stdin.close()
        except BrokenPipeError:
            pass
    if process.stdout is None or process.stderr is None:
        raise RuntimeError("the child's output pipes are missing")
    chunks: dict[str, list[bytes]] = {"stdout": [], "stderr": []}
    partial: dict[str, bytes] = {"stdout": b"", "stderr": b""}
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ, "stdout")
    selector.register(process.stderr, selectors.EVENT_READ, "stderr")
    timed_out = False
    with selector:
        while selector.get_map():
            wait = None if deadline is None else max(0.0, deadline - time.monotonic())
            if wait == 0.0:
                timed_out = True
                _kill_group(process, signal.SIGKILL)
                break
            for key, _ in selector.select(wait):
                name = str(key.data)
                data = os.read(key.fd, 65536)
                if not data:
                    selector.unregister(key.fileobj)
                    continue
                chunks[name].append(data)
                if on_output is not None:
                    lines = (partial[name] + data).split(b"\n")
                    partial[name] = lines.pop()
                    for line in lines:
                        on_output(name, line.decode(errors="replace") + "\n")
    if on_output is not None:
        for name, rest in partial.items():
            if rest:
                on_output(name, rest.decode(errors="replace"))
    if timed_out:
        # Descendants may still hold the pipes; the group is already killed, so just reap.
        process.stdout.close()
        process.stderr.close()
    process.wait()
    return (
        b"".join(chunks["stdout"]).decode(errors="replace"),
        b"".join(chunks["stderr"]).decode(errors="replace"),
        timed_out,
    )

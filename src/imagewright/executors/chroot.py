"""Steps run chrooted in an image root, each command in its own private mount namespace.

Every command is started as `unshare --mount --propagation private` running a short host-side
script that mounts /proc, /sys, /dev (with /dev/pts), a tmpfs /run and the host's resolv.conf
inside the root, then enters the root with `unshare --root --wd`. The mounts exist only in that
namespace: the kernel drops them when the command's last process ends, so nothing leaks onto
the host, even when imagewright itself is killed.

While a command runs the image has a `/usr/sbin/policy-rc.d` that exits 101, so package
installs do not start services on the build host; the image's own policy-rc.d (if any) is put
back afterwards.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path, PurePosixPath

from imagewright.errors import BadTargetError
from imagewright.paths import ImageRoot
from imagewright.run import DEFAULT_PATH, CommandResult, OutputCallback, StrPath, require_tool, run

log = logging.getLogger(__name__)

POLICY_RC_D = PurePosixPath("/usr/sbin/policy-rc.d")
POLICY_RC_D_DENY = (
    "#!/bin/sh\n# installed by imagewright while steps run: start no services\nexit 101\n"
)

# Runs on the host inside the fresh mount namespace. $1 is the root, $2 the working directory
# inside it, $3 the resolv.conf mount point (host path, or "" for none), the rest is the command.
_ENTER_SCRIPT = """\
set -e
root=$1 wd=$2 resolv=$3
shift 3
mount -t proc -o nosuid,nodev,noexec proc "$root/proc"
mount -t sysfs -o nosuid,nodev,noexec,ro sysfs "$root/sys"
mount --rbind /dev "$root/dev"
mount -t tmpfs -o nosuid,nodev,mode=0755 tmpfs "$root/run"
if [ -n "$resolv" ]; then
    if [ ! -e "$resolv" ]; then mkdir -p "${resolv%/*}"; : > "$resolv"; fi
    mount --bind -o ro /etc/resolv.conf "$resolv"
fi
exec unshare --root="$root" --wd="$wd" -- "$@"
"""

_MOUNT_POINTS = ("proc", "sys", "dev", "run")


def step_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The clean environment commands get inside an image, plus what the caller adds."""
    env = {
        "PATH": DEFAULT_PATH,
        "HOME": "/root",
        "LANG": "C.UTF-8",
        "DEBIAN_FRONTEND": "noninteractive",
    }
    if extra:
        env.update(extra)
    return env


class ChrootExecutor:
    """Runs commands chrooted into `root`; paths in argv and cwd are the image's."""

    kind = "chroot"

    def __init__(self, root: Path) -> None:
        self.image = ImageRoot(root)
        self.root = self.image.root
        if not self.root.is_dir():
            raise BadTargetError(f"{root} is not a directory")
        require_tool("unshare")

    def __repr__(self) -> str:
        return f"ChrootExecutor({str(self.root)!r})"

    def resolve(self, path: str) -> Path:
        return self.image.resolve(path)

    def run(
        self,
        argv: Sequence[StrPath],
        *,
        env: Mapping[str, str] | None = None,
        input: str | bytes | None = None,
        timeout: float | None = None,
        cwd: str | None = None,
        on_output: OutputCallback | None = None,
        check: bool = True,
        ok_codes: Sequence[int] = (0,),
    ) -> CommandResult:
        """Run argv inside the image. env adds to the clean step environment."""
        working_directory = str(PurePosixPath("/", cwd or "/"))
        if not self.image.is_dir(working_directory):
            raise BadTargetError(f"working directory {working_directory} does not exist in {self}")
        command = [os.fspath(a) for a in argv]
        wrapper = [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "--",
            "/bin/sh",
            "-c",
            _ENTER_SCRIPT,
            "imagewright-chroot",
            str(self.root),
            working_directory,
            self._resolv_conf_mount_point(),
            *command,
        ]
        with self._mount_points_ready(), self._services_denied():
            return run(
                wrapper,
                env=step_environment(env),
                input=input,
                timeout=timeout,
                check=check,
                ok_codes=ok_codes,
                on_output=on_output,
                log_as=f"[chroot {self.root}] {shlex.join(command)}",
            )

    def _resolv_conf_mount_point(self) -> str:
        """Where the host's resolv.conf is lent: the image's /etc/resolv.conf, symlinks chased
        inside the image (a dangling link into /run lands on the fresh tmpfs)."""
        if not Path("/etc/resolv.conf").is_file():
            return ""
        target = self.image.resolve("/etc/resolv.conf")
        if target.exists() and not target.is_file():
            return ""
        run_dir = self.image.resolve("/run")
        if not target.exists() and run_dir not in target.parents:
            if not target.parent.is_dir():
                return ""
            target.touch()  # a mount point; an image without resolv.conf gets an empty one
        return str(target)

    @contextlib.contextmanager
    def _mount_points_ready(self) -> Iterator[None]:
        for name in _MOUNT_POINTS:
            point = self.root / name
            if point.is_symlink() or not point.is_dir():
                # A hostile image could point /proc elsewhere; make it a plain folder again.
                if point.is_symlink() or point.exists():
                    raise BadTargetError(
                        f"/{name} in {self.root} is not a directory; cannot run commands in it"
                    )
                point.mkdir(mode=0o755)
        yield

    @contextlib.contextmanager
    def _services_denied(self) -> Iterator[None]:
        host = self.image.resolve(POLICY_RC_D, follow_final=False)
        saved: bytes | None = None
        saved_mode = 0o755
        if host.is_symlink():
            saved_link = str(host.readlink())
            host.unlink()
        else:
            saved_link = None
            if host.is_file():
                saved = host.read_bytes()
                saved_mode = host.stat().st_mode & 0o7777
        self.image.write_text(POLICY_RC_D, POLICY_RC_D_DENY, mode=0o755)
        host.chmod(0o755)
        try:
            yield
        finally:
            host.unlink(missing_ok=True)
            if saved_link is not None:
                host.symlink_to(saved_link)
            elif saved is not None:
                self.image.write_bytes(POLICY_RC_D, saved, mode=saved_mode)
                host.chmod(saved_mode)

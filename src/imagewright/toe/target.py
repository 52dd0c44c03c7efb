"""What expressions read from the target: its environment, os-release and host name."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping

from imagewright.executors.base import Executor


def target_environment(executor: Executor) -> Mapping[str, str]:
    """The environment steps run with: this process's on the host, the clean one in images."""
    if executor.kind == "host":
        return os.environ
    from imagewright.executors.chroot import step_environment

    return step_environment()


def os_release(executor: Executor) -> dict[str, str]:
    try:
        text = executor.resolve("/etc/os-release").read_text(encoding="utf-8")
    except OSError:
        try:
            text = executor.resolve("/usr/lib/os-release").read_text(encoding="utf-8")
        except OSError:
            return {}
    values: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            values[key.strip()] = value.strip().strip('"')
    return values


def target_hostname(executor: Executor) -> str:
    if executor.kind == "host":
        return socket.gethostname()
    try:
        return executor.resolve("/etc/hostname").read_text(encoding="utf-8").strip()
    except OSError:
        return ""

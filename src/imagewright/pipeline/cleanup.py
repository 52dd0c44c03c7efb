"""Releasing what interrupted builds left behind: mounts, loop devices, qemu processes, work
folders. Runs at the start of every build and as `imagewright cleanup`.

Only work folders of builds whose process is gone are touched; a concurrent live build keeps its
own.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from imagewright.mounts import detach_loop, mounts_below, unmount_tree
from imagewright.pipeline.catalog import Catalog
from imagewright.run import run

log = logging.getLogger(__name__)

PIDFILE_SUFFIX = ".pid"


@dataclass
class CleanupReport:
    failed_builds: list[str] = field(default_factory=list)
    unmounted: list[str] = field(default_factory=list)
    loop_devices: list[str] = field(default_factory=list)
    processes: list[int] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def empty(self) -> bool:
        return not (
            self.failed_builds or self.unmounted or self.loop_devices or self.processes
            or self.removed
        )  # fmt: skip

    def as_dict(self) -> dict[str, list[str] | list[int]]:
        return {
            "failedBuilds": self.failed_builds,
            "unmounted": self.unmounted,
            "loopDevices": self.loop_devices,
            "processes": self.processes,
            "removed": self.removed,
        }


def loop_devices_below(folder: Path) -> list[Path]:
    """Loop devices whose backing file lies inside folder."""
    result = run(["losetup", "--list", "--json", "--output", "NAME,BACK-FILE"], check=False)
    if result.returncode != 0 or not result.stdout.strip():
        return []
    prefix = os.path.realpath(folder).rstrip("/") + "/"
    devices = []
    for entry in json.loads(result.stdout).get("loopdevices", []):
        backing = (entry.get("back-file") or "").removesuffix(" (deleted)")
        if backing.startswith(prefix):
            devices.append(Path(entry["name"]))
    return devices


def kill_processes_inside(folder: Path) -> list[int]:
    """Kill processes a dead build left running: qemu (recorded in *.pid files) and commands
    chrooted into one of its images (their root lies inside folder)."""
    killed = []
    prefix = os.path.realpath(folder).rstrip("/") + "/"
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if (str((entry / "root").readlink()).rstrip("/") + "/").startswith(prefix):
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(int(entry.name))
    for pidfile in folder.rglob(f"*{PIDFILE_SUFFIX}"):
        try:
            pid = int(pidfile.read_text().split()[0])
            command = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            continue
        if str(folder).encode() not in command:
            continue  # the pid was reused by something unrelated
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)
    if killed:
        time.sleep(0.2)
    return killed


def release_folder(folder: Path, report: CleanupReport) -> None:
    """Stop, unmount, detach and delete everything of one work folder."""
    report.processes += kill_processes_inside(folder)
    points = mounts_below(folder)
    unmount_tree(folder)
    report.unmounted += [str(p) for p in points]
    for device in loop_devices_below(folder):
        for point in _mounts_of_device(device):
            unmount_tree(point)
            report.unmounted.append(str(point))
        detach_loop(device)
        report.loop_devices.append(str(device))
    if mounts_below(folder):
        return  # never delete across a file system that is still mounted
    run(["rm", "-rf", "--one-file-system", folder])
    report.removed.append(str(folder))


def _mounts_of_device(device: Path) -> list[Path]:
    found = []
    with Path("/proc/self/mounts").open() as mounts:
        for line in mounts:
            source, point = line.split()[:2]
            if source == str(device) or source.startswith(f"{device}p"):
                found.append(Path(point.replace("\\040", " ")))
    return found


def release_stale(catalog: Catalog) -> CleanupReport:
    """Mark dead builds failed and release every work folder no live build owns."""
    report = CleanupReport()
    report.failed_builds = [record.reference for record in catalog.reap_stale()]
    if not catalog.work_root.is_dir():
        return report
    active = {os.path.realpath(p) for p in catalog.active_work_dirs()}
    for folder in sorted(catalog.work_root.iterdir()):
        if os.path.realpath(folder) in active:
            continue
        log.info("Releasing the leftovers of an interrupted build in %s", folder)
        release_folder(folder, report)
    return report

"""An image's /etc/fstab: which of its file systems are mounted where.

Device names are mapped onto the disk's own regions (UUID=, LABEL=, PARTUUID=, PARTLABEL=,
/dev/disk/by-*/…, and /dev/sda2-style names by partition number); the host's devices are never
consulted.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import PurePosixPath

from imagewright.images.probe import Region

log = logging.getLogger(__name__)

# /dev/sda2, /dev/vda2, /dev/xvda2, /dev/hda2, /dev/nvme0n1p2, /dev/mmcblk0p2, /dev/loop0p2
_NUMBERED_DEVICE = re.compile(
    r"^/dev/(?:(?:[shv]|xv)d[a-z]+|(?:nvme\d+n\d+|mmcblk\d+|loop\d+)p)(?P<number>\d+)$"
)
_BY_LINK = {
    "/dev/disk/by-uuid/": "UUID",
    "/dev/disk/by-label/": "LABEL",
    "/dev/disk/by-partuuid/": "PARTUUID",
    "/dev/disk/by-partlabel/": "PARTLABEL",
}


@dataclass(frozen=True, slots=True)
class FstabEntry:
    spec: str
    mountpoint: PurePosixPath
    fstype: str
    options: tuple[str, ...]
    line: int


def _unescape(field: str) -> str:
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


def parse_fstab(text: str) -> list[FstabEntry]:
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        fields = line.split()
        if len(fields) < 3:
            continue
        options = tuple(fields[3].split(",")) if len(fields) > 3 else ("defaults",)
        entries.append(
            FstabEntry(
                spec=_unescape(fields[0]),
                mountpoint=PurePosixPath(_unescape(fields[1])),
                fstype=fields[2],
                options=options,
                line=number,
            )
        )
    return entries


def _matches(region: Region, key: str, value: str) -> bool:
    value = value.strip('"')
    if key == "UUID":
        return region.uuid is not None and region.uuid.lower() == value.lower()
    if key == "LABEL":
        return region.label == value
    if key == "PARTUUID":
        return region.partuuid is not None and region.partuuid.lower() == value.lower()
    if key == "PARTLABEL":
        return region.partlabel == value
    return False


def find_region(spec: str, regions: list[Region]) -> Region | None:
    """The region an fstab device field names, or None when it is not on this disk."""
    key, sep, value = spec.partition("=")
    if not sep:
        for prefix, name in _BY_LINK.items():
            if spec.startswith(prefix):
                key, value = name, spec[len(prefix) :]
                break
        else:
            match = _NUMBERED_DEVICE.match(spec)
            if match is None:
                return None
            number = int(match.group("number"))
            return next((r for r in regions if r.number == number), None)
    return next((r for r in regions if _matches(r, key.upper(), value)), None)

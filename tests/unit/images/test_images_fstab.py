from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from imagewright.images.fstab import find_region, parse_fstab
from imagewright.images.probe import Region

REGIONS = [
    Region(1 << 20, 1 << 20, 1, "1111-aa", "esp", "vfat", "ABCD-1234", "ESP"),
    Region(2 << 20, 8 << 20, 2, "2222-bb", "boot", "ext4", "b00t-uuid", "boot"),
    Region(10 << 20, 64 << 20, 3, "3333-cc", "root", "xfs", "r00t-uuid", "rootfs"),
]


def test_parse_fstab_skips_comments_and_unescapes() -> None:
    text = "# comment\n\nUUID=r00t-uuid / xfs defaults 0 1\nLABEL=boot /my\\040boot ext4\n"
    entries = parse_fstab(text)
    assert [(e.spec, e.mountpoint, e.fstype, e.line) for e in entries] == [
        ("UUID=r00t-uuid", PurePosixPath("/"), "xfs", 3),
        ("LABEL=boot", PurePosixPath("/my boot"), "ext4", 4),
    ]
    assert entries[1].options == ("defaults",)


@pytest.mark.parametrize(
    ("spec", "number"),
    [
        ("UUID=R00T-UUID", 3),
        ('LABEL="boot"', 2),
        ("PARTUUID=1111-AA", 1),
        ("PARTLABEL=root", 3),
        ("/dev/disk/by-uuid/b00t-uuid", 2),
        ("/dev/disk/by-label/ESP", 1),
        ("/dev/sda3", 3),
        ("/dev/vda2", 2),
        ("/dev/xvda1", 1),
        ("/dev/nvme0n1p3", 3),
        ("/dev/mmcblk0p2", 2),
    ],
)
def test_find_region_maps_device_names_to_this_disk(spec: str, number: int) -> None:
    region = find_region(spec, REGIONS)
    assert region is not None
    assert region.number == number


@pytest.mark.parametrize(
    "spec", ["UUID=elsewhere", "/dev/sdb9", "tmpfs", "server:/export", "/dev/mapper/vg-root"]
)
def test_find_region_ignores_devices_that_are_not_on_this_disk(spec: str) -> None:
    assert find_region(spec, REGIONS) is None

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest

from imagewright.errors import ConfigError, ImagewrightError
from imagewright.images.disk import Boot, ExportFormat, Fstype, Table, export, make_disk
from imagewright.images.target import open_target
from imagewright.mounts import mount

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("fstype", "table", "boot"),
    [("ext4", "none", "none"), ("xfs", "gpt", "bios"), ("btrfs", "mbr", "uefi")],
)
def test_make_disk_copies_the_tree_faithfully(
    special_tree: Path,
    tmp_path: Path,
    tree_facts: Callable[[Path], dict[str, tuple[object, ...]]],
    fstype: Fstype,
    table: Table,
    boot: Boot,
) -> None:
    disk = tmp_path / "disk.img"
    layout = make_disk(
        special_tree,
        disk,
        fstype=fstype,
        table=table,
        boot=boot,
        label="rootfs",
        work_dir=tmp_path / "work",
    )
    assert disk.stat().st_blocks * 512 < layout.size // 4, "the image must be sparse"
    roles = [p.role for p in layout.partitions]
    assert roles[-1] == "root"
    assert ("bios_grub" in roles) == (boot == "bios" and table == "gpt")
    assert ("esp" in roles) == (boot == "uefi")
    if table != "none":
        listed = json.loads(
            subprocess.run(["sfdisk", "--json", disk], capture_output=True, check=True).stdout
        )["partitiontable"]
        assert listed["label"] == ("gpt" if table == "gpt" else "dos")
        assert len(listed["partitions"]) == len(layout.partitions)
    with open_target(disk, writable=False, work_dir=tmp_path / "work") as opened:
        root_fs = opened.filesystems[0]
        assert (root_fs.fstype, root_fs.uuid, root_fs.label) == (fstype, layout.root.uuid, "rootfs")
        assert root_fs.offset == layout.root.offset
        fstab = opened.root.read_text("/etc/fstab")
        assert f"UUID={layout.root.uuid}\t/\t{fstype}" in fstab
        copied = tree_facts(opened.root.root)
    copied.pop("etc/fstab")
    if boot == "uefi":
        assert copied.pop("boot/efi")
        assert copied.pop("boot")
    assert copied == tree_facts(special_tree)


def test_make_disk_refuses_a_disk_too_small(special_tree: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="at least"):
        make_disk(special_tree, tmp_path / "disk.img", fstype="xfs", size_bytes=64 << 20)
    assert not (tmp_path / "disk.img").exists()


def test_make_disk_reports_a_tree_that_does_not_fit(base_tree: Path, tmp_path: Path) -> None:
    with pytest.raises(ImagewrightError, match="does not fit"):
        make_disk(
            base_tree,
            tmp_path / "disk.img",
            table="none",
            size_bytes=48 << 20,
            work_dir=tmp_path / "work",
        )
    assert not list(tmp_path.glob("*disk.img*"))


@pytest.mark.parametrize("format", ["qcow2", "vmdk", "vhd", "raw"])
def test_export_formats(ext4_image: Path, tmp_path: Path, format: ExportFormat) -> None:
    output = export(ext4_image, tmp_path / f"disk.{format}", format=format)
    info = json.loads(
        subprocess.run(
            ["qemu-img", "info", "--output=json", output], capture_output=True, check=True
        ).stdout
    )
    assert info["format"] == {"vhd": "vpc"}.get(format, format)
    assert info["virtual-size"] >= ext4_image.stat().st_size
    assert output.stat().st_blocks * 512 < ext4_image.stat().st_size


@pytest.mark.parametrize("fstype", ["ext4", "xfs"])
def test_make_disk_from_an_opened_image_takes_every_file_system(
    gpt_image: Path, tmp_path: Path, fstype: Fstype
) -> None:
    taken = tmp_path / "taken.img"
    with open_target(gpt_image, writable=False, work_dir=tmp_path / "work") as opened:
        make_disk(opened.root.root, taken, fstype=fstype, table="none", work_dir=tmp_path / "work")
    with open_target(taken, writable=False, work_dir=tmp_path / "work") as opened:
        assert [f.mountpoint for f in opened.filesystems] == [PurePosixPath("/")]
        assert opened.root.read_text("/boot/boot-marker") == "from the boot partition\n"
        fstab = opened.root.read_text("/etc/fstab")
        assert "/boot" not in fstab, "the boot partition's content is now in the root"
        assert "tmpfs\t/tmp" in fstab


def test_make_disk_refuses_a_tree_with_proc_mounted(special_tree: Path, tmp_path: Path) -> None:
    (special_tree / "proc").mkdir()
    with (
        mount("proc", special_tree / "proc", fstype="proc"),
        pytest.raises(ImagewrightError, match="proc"),
    ):
        make_disk(special_tree, tmp_path / "disk.img", table="none")
    assert not (tmp_path / "disk.img").exists()

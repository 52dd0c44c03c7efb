from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from imagewright.config.recipe import BootMode
from imagewright.pipeline.bootloader import grub_configuration
from imagewright.pipeline.boottest import qemu_command
from imagewright.pipeline.events import Events
from imagewright.pipeline.junit import TestCase, TestSuite, write_junit


def test_junit_counts_failures(tmp_path: Path) -> None:
    suites = [
        TestSuite("components", [TestCase("a", 1.5), TestCase("b", 2.0, "step failed")]),
        TestSuite("boot", [TestCase("login-prompt", 60.0, output="login:")]),
    ]
    root = ElementTree.parse(write_junit(suites, tmp_path / "t.xml")).getroot()  # noqa: S314
    assert (root.get("tests"), root.get("failures")) == ("3", "1")
    failure = root.find("testsuite/testcase[@name='b']/failure")
    assert failure is not None and failure.get("message") == "step failed"


def test_events_are_json_lines_with_durations() -> None:
    lines: list[str] = []
    events = Events(lines.append)
    with events.stage("one"):
        pass
    with pytest.raises(RuntimeError), events.stage("two"):
        raise RuntimeError("boom")
    parsed = [json.loads(line) for line in lines]
    assert [(e["event"], e["stage"]) for e in parsed] == [
        ("stage-started", "one"), ("stage-finished", "one"),
        ("stage-started", "two"), ("stage-finished", "two"),
    ]  # fmt: skip
    assert [e.get("status") for e in parsed[1::2]] == ["succeeded", "failed"]
    assert [t[2] for t in events.timings] == ["succeeded", "failed"]


def test_grub_configuration_uses_the_serial_console() -> None:
    text = grub_configuration("1234", "/vmlinuz", "/initrd.img")
    assert "search --no-floppy --fs-uuid --set=root 1234" in text
    assert "linux /vmlinuz root=UUID=1234 ro console=tty0 console=ttyS0,115200n8" in text
    assert "initrd /initrd.img" in text


def test_qemu_runs_under_tcg_without_changing_the_disk(tmp_path: Path) -> None:
    argv = qemu_command(tmp_path / "d.raw", BootMode.uefi, tmp_path, tmp_path / "console.log")
    assert argv[argv.index("-accel") + 1] == "tcg"
    assert f"file={tmp_path / 'd.raw'},format=raw,if=virtio,snapshot=on" in argv
    assert any("OVMF_CODE" in a for a in argv)
    assert (tmp_path / "OVMF_VARS.fd").exists()

"""`imagewright sanitize` on directory trees: the seed's output, exit codes, JSON, markers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.unit.sanitize.corpus import CORPUS, plant, present, snapshot

from imagewright.cli import main

# The seed script's "Deleting X" lines, in the order of its sections.
SEED_LINES = """\
Deleting /etc/sudoers.d/90-cloud-init-users
Deleting /etc/locale.conf
Deleting /var/log/cloud-init.log
Deleting /var/log/cloud-init-output.log
Deleting /var/lib/cloud/*
Deleting /etc/.updated
Deleting /etc/aliases.db
Deleting /etc/hostname
Deleting /var/lib/misc/postfix.aliasesdb-stamp
Deleting /var/lib/postfix/master.lock
Deleting /var/spool/postfix/pid/master.pid
Deleting /var/.updated
Deleting /var/cache/yum/x86_64/2/.gpgkeyschecked.yum
Deleting /etc/ssh/ssh_host_rsa_key
Deleting /etc/ssh/ssh_host_rsa_key.pub
Deleting /etc/ssh/ssh_host_ecdsa_key
Deleting /etc/ssh/ssh_host_ecdsa_key.pub
Deleting /etc/ssh/ssh_host_ed25519_key
Deleting /etc/ssh/ssh_host_ed25519_key.pub
Deleting /root/.ssh/authorized_keys
Deleting /home/ec2-user/.ssh/authorized_keys
Deleting /var/log/audit/audit.log
Deleting /var/log/boot.log
Deleting /var/log/dmesg
Deleting /var/log/cron
Deleting /home/ec2-user/.bash_history
Deleting /.autorelabel
Deleting /tmp/TOE_*
Deleting /var/log/amazon/ssm/*
Deleting /var/log/sa/sa*
Deleting /var/lib/dhclient/dhclient*.lease
Deleting /var/tmp/*
Deleting /var/lib/systemd/random-seed
Deleting /var/lib/rsyslog/imjournal.state
Deleting /var/log/journal/*
""".splitlines()

SEED_OPERATIONS = [name for name in CORPUS if name in {
    "cloud-init-files", "instance-files", "ssh-files", "instance-log-files", "legacy-files",
    "toe-files", "ssm-log-files", "sysstat-logs", "dhclient-leases", "var-tmp", "random-seed",
    "imjournal-state", "journal-logs", "machine-id",
}]  # fmt: skip


@pytest.fixture
def dirty(tmp_path: Path) -> Path:
    root = tmp_path / "image"
    root.mkdir()
    for name in SEED_OPERATIONS:
        plant(root, name)
    return root


def test_prints_the_seeds_lines_and_exits_zero(
    dirty: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sanitize", str(dirty)]) == 0
    out = capsys.readouterr().out.splitlines()
    # /home/admin's authorized_keys is the one extra match of /home/*/.ssh/authorized_keys.
    assert out == [*SEED_LINES[:21], "Deleting /home/admin/.ssh/authorized_keys", *SEED_LINES[21:]]
    for name in SEED_OPERATIONS:
        for path in CORPUS[name].files:
            assert not present(dirty, path)


def test_second_run_changes_nothing(dirty: Path, tmp_path: Path) -> None:
    assert main(["sanitize", str(dirty), "--profile", "extended"]) == 0
    before = snapshot(dirty)
    report = tmp_path / "second.json"
    assert main(["sanitize", str(dirty), "--profile", "extended", "--json", str(report)]) == 0
    assert snapshot(dirty) == before
    data = json.loads(report.read_text())
    assert {op["status"] for op in data["operations"]} == {"unchanged"}


def test_dry_run_lists_and_changes_nothing(
    dirty: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = snapshot(dirty)
    report = tmp_path / "plan.json"
    assert main(["sanitize", str(dirty), "--dry-run", "--json", str(report)]) == 0
    assert snapshot(dirty) == before
    out = capsys.readouterr().out
    assert "  would remove /etc/ssh/ssh_host_rsa_key (file)" in out
    data = json.loads(report.read_text())
    planned = {p["path"] for op in data["operations"] for p in op["paths"]}
    assert "/var/lib/cloud/instances/i-0abc/user-data.txt" in planned
    assert {p["status"] for op in data["operations"] for p in op["paths"]} == {"planned"}


def test_json_report_has_operations_paths_bytes_and_timings(dirty: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    assert main(["sanitize", str(dirty), "--json", str(report)]) == 0
    data = json.loads(report.read_text())
    assert data["profile"] == "ec2-image-builder" and data["dry_run"] is False
    ssh = next(op for op in data["operations"] if op["name"] == "ssh-files")
    assert ssh["status"] == "cleaned" and ssh["seconds"] >= 0
    removed = {p["path"]: p for p in ssh["paths"]}
    assert removed["/etc/ssh/ssh_host_rsa_key"]["status"] == "done"
    assert removed["/etc/ssh/ssh_host_rsa_key"]["bytes_overwritten"] > 0
    assert data["bytes_overwritten"] > 0 and data["failures"] == []
    assert "residue" in data and "free_space" in data and data["seconds"] > 0


def test_skip_markers_skip_their_section(dirty: Path) -> None:
    (dirty / "tmp/skip_cleanup_ssh_files").write_text("")
    (dirty / "tmp/skip_cleanup_toe_files.txt").write_text("")  # with an extension: ignored
    assert main(["sanitize", str(dirty)]) == 0
    assert (dirty / "etc/ssh/ssh_host_rsa_key").exists()
    assert not (dirty / "tmp/TOE_2026-12-03_10-00-00_UTC-0_abc").exists()


def test_working_directory_moves_toe_folders_and_markers(dirty: Path) -> None:
    toe = dirty / "opt/work/TOE_x/console.log"
    toe.parent.mkdir(parents=True)
    toe.write_text("log")
    (dirty / "opt/work/skip_cleanup_instance_files").write_text("")
    assert main(["sanitize", str(dirty), "--working-directory", "/opt/work"]) == 0
    assert not toe.parent.exists()
    assert (dirty / "etc/hostname").exists()
    assert (dirty / "tmp/TOE_2026-12-03_10-00-00_UTC-0_abc").exists()


def test_user_data_override_without_perform_cleanup_skips_the_clean_up(dirty: Path) -> None:
    assert main(["sanitize", str(dirty), "--user-data-override"]) == 0
    assert (dirty / "etc/ssh/ssh_host_rsa_key").exists()
    (dirty / "tmp/perform_cleanup").write_text("")
    assert main(["sanitize", str(dirty), "--user-data-override"]) == 0
    assert not (dirty / "etc/ssh/ssh_host_rsa_key").exists()


def test_markers_in_a_working_directory_inside_var_tmp_hold_for_the_whole_run(
    dirty: Path,
) -> None:
    # /var/tmp is emptied midway; the operations after it still see the markers of the start.
    (dirty / "var/tmp/build").mkdir(parents=True)
    (dirty / "var/tmp/build/perform_cleanup").write_text("")
    (dirty / "var/tmp/build/skip_cleanup_instance_files").write_text("")
    argv = ["sanitize", str(dirty), "--user-data-override", "--working-directory", "/var/tmp/build"]
    assert main(argv) == 0
    assert not (dirty / "var/tmp/build").exists()
    assert not (dirty / "etc/ssh/ssh_host_rsa_key").exists()
    assert not (dirty / "var/lib/systemd/random-seed").exists()
    assert (dirty / "etc/hostname").exists()


def test_enable_and_disable(dirty: Path) -> None:
    history = dirty / "root/.bash_history"
    history.write_text("aws configure\n")
    assert main(["sanitize", str(dirty), "--disable", "ssh-files,machine-id"]) == 0
    assert (dirty / "etc/ssh/ssh_host_rsa_key").exists() and history.exists()
    assert main(["sanitize", str(dirty), "--enable", "bash-history"]) == 0
    assert not history.exists()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sanitize", "/nonexistent/image"], "does not exist"),
        (["sanitize", "--enable", "bash-histroy", "/tmp"], "did you mean 'bash-history'"),
        (["sanitize", "--profile", "everything", "/tmp"], "invalid choice"),
        (["sanitize"], "TARGET is required"),
        (["sanitize", "--passes", "-1", "/tmp"], "--passes"),
        (["sanitize", "--working-directory", "tmp", "/tmp"], "must be absolute"),
    ],
)
def test_bad_input_exits_two(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    argv = [str(tmp_path) if a == "/tmp" else a for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_markers_survive_the_extended_profile_so_a_second_run_skips_the_same(
    dirty: Path, tmp_path: Path
) -> None:
    (dirty / "tmp/skip_cleanup_ssh_files").write_text("")
    assert main(["sanitize", str(dirty), "--profile", "extended"]) == 0
    assert (dirty / "tmp/skip_cleanup_ssh_files").exists()
    assert (dirty / "etc/ssh/ssh_host_rsa_key").exists()
    assert not (dirty / "tmp/TOE_2026-12-03_10-00-00_UTC-0_abc").exists()
    report = tmp_path / "second.json"
    assert main(["sanitize", str(dirty), "--profile", "extended", "--json", str(report)]) == 0
    statuses = {op["status"] for op in json.loads(report.read_text())["operations"]}
    assert statuses == {"unchanged", "skipped"}

"""The document corpus (tests/data/toe) validated, run on this host in a temporary folder, and run
with --target inside a real Debian tree."""

from __future__ import annotations

import functools
import hashlib
import http.server
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from imagewright.cli import main
from imagewright.mounts import mounts_below

pytestmark = pytest.mark.integration

CORPUS = Path(__file__).parents[2] / "data" / "toe"

# document -> (expected status, phases to run or None for all)
EXPECTED: dict[str, tuple[str, str | None]] = {
    "abort-early": ("failed", None),
    "app-baseline": ("successWithIgnoredFailure", None),
    "conditions": ("success", None),
    "file-operations": ("success", None),
    "loops": ("success", None),
    "nested-child": ("success", "build,validate"),
    "nested-main": ("success", None),
    "patch-os": ("success", None),
    "reboot-runbook": ("success", None),
    "retry-timeout": ("failed", None),
    "sshd-hardening": ("success", None),
    "users-and-permissions": ("success", None),
    "web-download": ("success", None),
    "windows-agent": ("failed", None),
}

SSHD_CONFIG = "Port 22\n#PermitRootLogin prohibit-password\nPasswordAuthentication yes\n"


@pytest.fixture(scope="module")
def artifact_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A real local HTTP server with artifact.tar.gz; yields (base URL, SHA-256)."""
    folder = tmp_path_factory.mktemp("www")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = b"2.1.1\n"
        info = tarfile.TarInfo("VERSION")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    (folder / "artifact.tar.gz").write_bytes(buffer.getvalue())
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield (
        f"http://127.0.0.1:{server.server_address[1]}",
        hashlib.sha256(buffer.getvalue()).hexdigest(),
    )
    server.shutdown()


def test_the_corpus_is_large_enough_and_every_document_validates(
    capsys: pytest.CaptureFixture[str],
) -> None:
    documents = sorted(CORPUS.glob("*.yml"))
    assert len(documents) >= 12
    assert {d.stem for d in documents} == set(EXPECTED)
    linux = [str(d) for d in documents if d.stem != "windows-agent"]
    assert main(["toe", "validate", "--documents", ",".join(linux)]) == 0
    windows = str(CORPUS / "windows-agent.yml")
    assert main(["toe", "validate", "-d", windows, "--os-platform", "windows"]) == 0
    assert main(["toe", "validate", "-d", windows]) == 1
    assert "SetRegistry is not supported on linux" in capsys.readouterr().err


def run_cli(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    code = main(["-q", "toe", "run", *arguments])
    summary: dict[str, object] = json.loads(capsys.readouterr().out)
    assert code == (0 if summary["status"] in ("success", "successWithIgnoredFailure") else 1)
    return summary


def parameters(name: str, root: str, server: tuple[str, str], in_image: bool) -> str:
    values = {"Root": root}
    if name == "web-download":
        values |= {"BaseUrl": server[0], "Sha256": server[1]}
    if name == "sshd-hardening":
        values = {"SshdConfig": "/etc/ssh/sshd_config" if in_image else f"{root}/sshd_config"}
    if name in ("patch-os", "users-and-permissions"):
        values["InImage"] = "true" if in_image else "false"
    if name in ("patch-os", "windows-agent"):
        values.pop("Root")
    return ",".join(f"{k}={v}" for k, v in values.items()) or "Unused=x"


def command_line(name: str, tmp_path: Path, parameter_text: str) -> list[str]:
    arguments = ["-d", f"{name}.yml", "-l", str(tmp_path / "logs")]
    arguments += ["--parameters", parameter_text]
    phases = EXPECTED[name][1]
    return [*arguments, "-p", phases] if phases else arguments


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_runs_on_this_host_in_a_temporary_folder(
    name: str,
    tmp_path: Path,
    artifact_server: tuple[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(CORPUS)
    root = tmp_path / "root"
    root.mkdir()
    (root / "sshd_config").write_text(SSHD_CONFIG)
    expected = EXPECTED[name][0]
    arguments = command_line(name, tmp_path, parameters(name, str(root), artifact_server, False))
    summary = run_cli(arguments, capsys)
    assert summary["status"] == expected, summary
    if name == "sshd-hardening":
        assert "PermitRootLogin no" in (root / "sshd_config").read_text()
        assert (root / "sshd_config.orig").read_text() == SSHD_CONFIG
    if name == "reboot-runbook":
        assert (root / "runbook/trail").read_text() == "before reboot\nafter reboot\nresumed\n"
        assert not list((tmp_path / "logs").glob("*/state/state.json"))
    if name == "retry-timeout":
        assert (root / "retry/still-ran").exists()
        assert summary["failedStepCount"] == 1 and summary["ignoredFailedStepCount"] == 1
    if name == "abort-early":
        assert not (root / "abort").exists()


@pytest.fixture
def image(module_debian_tree: Path) -> Path:
    """One Debian tree for the whole corpus (each document works in its own folder)."""
    return module_debian_tree


@pytest.mark.parametrize(
    "name",
    [n for n in sorted(EXPECTED) if n != "patch-os"]
    + [pytest.param("patch-os", marks=pytest.mark.network)],
)
def test_runs_inside_a_debian_tree(
    name: str,
    image: Path,
    tmp_path: Path,
    artifact_server: tuple[str, str],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(CORPUS)
    expected = EXPECTED[name][0]
    arguments = command_line(name, tmp_path, parameters(name, "/srv/corpus", artifact_server, True))
    summary = run_cli([*arguments, "--target", str(image)], capsys)
    assert summary["status"] == expected, summary
    assert not mounts_below(image)
    assert not Path("/srv/corpus").exists()
    corpus = image / "srv/corpus"
    if name == "app-baseline":
        assert (corpus / "demo-app/conf/app.conf").read_text() == (
            "name=demo-app\nport=8080\nworkers=4\n"
        )
    if name == "users-and-permissions":
        assert "svc-demo:" in (image / "etc/passwd").read_text()
        assert "svc-demo:" not in Path("/etc/passwd").read_text()
    if name == "sshd-hardening":
        assert "PasswordAuthentication no" in (image / "etc/ssh/sshd_config").read_text()
    if name == "web-download":
        assert (corpus / "artifact/VERSION").read_text() == "2.1.1\n"
    if name == "patch-os":
        assert (image / "usr/bin/less").exists()
    assert not (image / "usr/sbin/policy-rc.d").exists()

"""WebDownload against real local HTTP and HTTPS servers (http.server in a thread; the HTTPS
certificate is a self-signed one made with the openssl CLI)."""

from __future__ import annotations

import hashlib
import http.server
import ssl
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import ValidationError
from tests.toe_support import Context, execute

from imagewright.executors.chroot import ChrootExecutor
from imagewright.toe.actions import StepFailed, download

PAYLOAD = b"imagewright payload\n" * 1000


class Handler(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[Counter[str]] = Counter()
    flaky_failures = 2

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.hits[self.path] += 1
        if self.path in ("/files/payload.bin", "/files/with%20space.bin"):
            self.send(200, PAYLOAD)
        elif self.path == "/redirect":
            self.send(302, headers={"Location": "/files/payload.bin"})
        elif self.path == "/flaky":
            if self.hits[self.path] <= self.flaky_failures:
                self.send(503, b"busy")
            else:
                self.send(200, PAYLOAD)
        elif self.path == "/nocontent":
            self.send(204)
        else:
            self.send(404, b"not here")


def serve(server: http.server.HTTPServer) -> Iterator[str]:
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def http_url() -> Iterator[str]:
    Handler.hits.clear()
    yield from (
        f"http://{a}" for a in serve(http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler))
    )


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return key, cert


@pytest.fixture
def https_url(certificate: tuple[Path, Path]) -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate[1], certificate[0])
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield from (f"https://{a}" for a in serve(server))


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(download, "RETRY_DELAY", 0.01)


def test_download_to_file_and_folder_with_output(http_url: str, tmp_path: Path) -> None:
    ctx = Context()
    out = execute(
        "WebDownload",
        ctx,
        [
            {"source": f"{http_url}/files/payload.bin", "destination": f"{tmp_path}/a/renamed.zip"},
            {"source": f"{http_url}/files/payload.bin", "destination": f"{tmp_path}/new/folder/"},
            {"source": f"{http_url}/files/with%20space.bin", "destination": f"{tmp_path}/new/"},
            {"source": f"{http_url}/redirect", "destination": f"{tmp_path}/redirected.bin"},
        ],
    )
    assert out["destination"].split("\n") == [
        f"{tmp_path}/a/renamed.zip",
        f"{tmp_path}/new/folder/payload.bin",
        f"{tmp_path}/new/with space.bin",
        f"{tmp_path}/redirected.bin",
    ]
    for path in out["destination"].split("\n"):
        assert Path(path).read_bytes() == PAYLOAD


@pytest.mark.parametrize("algorithm", ["MD5", "SHA1", "SHA256", "sha512"])
def test_checksum_verified_and_matching_file_not_downloaded_again(
    http_url: str, tmp_path: Path, algorithm: str
) -> None:
    digest = hashlib.new(algorithm.lower(), PAYLOAD).hexdigest().upper()
    item = {
        "source": f"{http_url}/files/payload.bin",
        "destination": f"{tmp_path}/p.bin",
        "checksum": digest,
        "algorithm": algorithm,
    }
    execute("WebDownload", Context(), [item])
    execute("WebDownload", Context(), [item])
    assert Handler.hits["/files/payload.bin"] == 1
    (tmp_path / "p.bin").write_bytes(b"stale")
    execute("WebDownload", Context(), [item])
    assert Handler.hits["/files/payload.bin"] == 2
    assert (tmp_path / "p.bin").read_bytes() == PAYLOAD


def test_checksum_mismatch_fails_after_five_attempts_and_keeps_nothing(
    http_url: str, tmp_path: Path
) -> None:
    item = {
        "source": f"{http_url}/files/payload.bin",
        "destination": f"{tmp_path}/p.bin",
        "checksum": "0" * 64,
        "algorithm": "SHA256",
    }
    with pytest.raises(StepFailed, match=r"SHA256 checksum mismatch.*after 5 attempts"):
        execute("WebDownload", Context(), [item])
    assert Handler.hits["/files/payload.bin"] == 5
    assert list(tmp_path.iterdir()) == []


def test_server_errors_are_retried_with_back_off(http_url: str, tmp_path: Path) -> None:
    ctx = Context()
    execute("WebDownload", ctx, [{"source": f"{http_url}/flaky", "destination": f"{tmp_path}/f"}])
    assert Handler.hits["/flaky"] == 3
    assert (tmp_path / "f").read_bytes() == PAYLOAD
    assert [line for line in ctx.lines if "retrying in" in line] == [
        "download of http://{}/flaky failed (HTTP status 503 Service Unavailable); "
        "retrying in 0.01s".format(http_url.removeprefix("http://")),
        "download of http://{}/flaky failed (HTTP status 503 Service Unavailable); "
        "retrying in 0.02s".format(http_url.removeprefix("http://")),
    ]


def test_client_errors_and_other_statuses_fail(http_url: str, tmp_path: Path) -> None:
    with pytest.raises(StepFailed, match="HTTP status 404"):
        execute(
            "WebDownload",
            Context(),
            [{"source": f"{http_url}/gone", "destination": f"{tmp_path}/g"}],
        )
    assert Handler.hits["/gone"] == 1  # a 404 cannot get better by retrying
    with pytest.raises(StepFailed, match="HTTP status 204"):
        execute(
            "WebDownload",
            Context(),
            [{"source": f"{http_url}/nocontent", "destination": f"{tmp_path}/n"}],
        )
    with pytest.raises(StepFailed, match="the URL has no file name"):
        execute(
            "WebDownload", Context(), [{"source": f"{http_url}/", "destination": f"{tmp_path}/"}]
        )


def test_overwrite_false_on_existing_file(http_url: str, tmp_path: Path) -> None:
    (tmp_path / "exists").write_text("keep")
    with pytest.raises(StepFailed, match="already exists and overwrite is false"):
        execute(
            "WebDownload",
            Context(),
            [
                {
                    "source": f"{http_url}/files/payload.bin",
                    "destination": f"{tmp_path}/exists",
                    "overwrite": False,
                }
            ],
        )
    assert (tmp_path / "exists").read_text() == "keep"


def test_https_certificate_checked_unless_ignored(https_url: str, tmp_path: Path) -> None:
    item = {"source": f"{https_url}/files/payload.bin", "destination": f"{tmp_path}/s.bin"}
    with pytest.raises(StepFailed, match="certificate is not trusted"):
        execute("WebDownload", Context(), [item])
    execute("WebDownload", Context(), [{**item, "ignoreCertificateErrors": True}])
    assert (tmp_path / "s.bin").read_bytes() == PAYLOAD


def test_download_into_an_image_stays_inside(http_url: str, tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "opt").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "opt/app").symlink_to(outside)  # an absolute host path: means root/<that path>
    out = execute(
        "WebDownload",
        Context(ChrootExecutor(root)),
        [{"source": f"{http_url}/files/payload.bin", "destination": "/opt/app/"}],
    )
    assert out == {"destination": "/opt/app/payload.bin"}
    assert list(outside.iterdir()) == []
    assert (root / str(outside).lstrip("/") / "payload.bin").read_bytes() == PAYLOAD


def test_input_validation() -> None:
    with pytest.raises(ValidationError, match="must be given together"):
        execute(
            "WebDownload",
            Context(),
            [{"source": "http://x/y", "destination": "/t", "checksum": "ab"}],
        )
    with pytest.raises(ValidationError, match="unknown algorithm 'CRC32'"):
        execute(
            "WebDownload",
            Context(),
            [{"source": "http://x/y", "destination": "/t", "checksum": "ab", "algorithm": "CRC32"}],
        )
    with pytest.raises(ValidationError, match="is not an http or https URL"):
        execute("WebDownload", Context(), [{"source": "ftp://x/y", "destination": "/t"}])

"""S3Download and S3Upload against moto's S3 server, started as a subprocess on a free port.

moto is the one allowed stand-in here: AWS itself cannot be reached from these machines. The
modules find it through the standard AWS_ENDPOINT_URL_S3 variable, exactly as a user would point
them at another endpoint. moto does not enforce ExpectedBucketOwner, so that test checks the
header the module sends instead of AWS's refusal.
"""

from __future__ import annotations

import itertools
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from tests.toe_support import Context, execute

from imagewright.executors.chroot import ChrootExecutor
from imagewright.toe.actions import StepFailed

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BUCKETS = itertools.count()


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [Path(sys.executable).with_name("moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("moto_server did not start")
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def s3(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> S3Client:
    for name, value in {
        "AWS_ENDPOINT_URL_S3": moto_endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    }.items():
        monkeypatch.setenv(name, value)
    boto3.setup_default_session()
    return boto3.client("s3")


def bucket(s3: S3Client, objects: dict[str, bytes]) -> str:
    name = f"bucket-{next(BUCKETS)}"
    s3.create_bucket(Bucket=name)
    for key, body in objects.items():
        s3.put_object(Bucket=name, Key=key, Body=body)
    return name


def test_download_object_to_file_and_folder(s3: S3Client, tmp_path: Path) -> None:
    name = bucket(s3, {"path/to/package.zip": b"zip"})
    (tmp_path / "folder").mkdir()
    execute(
        "S3Download",
        Context(),
        [
            {"source": f"s3://{name}/path/to/package.zip", "destination": f"{tmp_path}/p.zip"},
            {"source": f"s3://{name}/path/to/package.zip", "destination": f"{tmp_path}/folder/"},
        ],
    )
    assert (tmp_path / "p.zip").read_bytes() == b"zip"
    assert (tmp_path / "folder/package.zip").read_bytes() == b"zip"


def test_download_prefix_recursively(s3: S3Client, tmp_path: Path) -> None:
    name = bucket(
        s3,
        {
            "path/to/a.txt": b"a",
            "path/to/sub/b.txt": b"b",
            "path/to/empty/": b"",
            "path/other.txt": b"not below the prefix",
        },
    )
    (tmp_path / "dest").mkdir()
    ctx = Context()
    execute(
        "S3Download",
        ctx,
        [{"source": f"s3://{name}/path/to/*", "destination": f"{tmp_path}/dest/"}],
    )
    assert (tmp_path / "dest/a.txt").read_bytes() == b"a"
    assert (tmp_path / "dest/sub/b.txt").read_bytes() == b"b"
    assert (tmp_path / "dest/empty").is_dir()
    assert sorted(p.name for p in (tmp_path / "dest").iterdir()) == ["a.txt", "empty", "sub"]


def test_download_failure_rules(s3: S3Client, tmp_path: Path) -> None:
    name = bucket(s3, {"k.txt": b"new", "evil/../../escape.txt": b"bad"})
    (tmp_path / "k.txt").write_bytes(b"old")
    with pytest.raises(StepFailed, match='File already exists and "overwrite" property'):
        execute(
            "S3Download",
            Context(),
            [
                {
                    "source": f"s3://{name}/k.txt",
                    "destination": f"{tmp_path}/k.txt",
                    "overwrite": False,
                }
            ],
        )
    assert (tmp_path / "k.txt").read_bytes() == b"old"
    execute(
        "S3Download",
        Context(),
        [{"source": f"s3://{name}/k.txt", "destination": f"{tmp_path}/k.txt"}],
    )
    assert (tmp_path / "k.txt").read_bytes() == b"new"
    with pytest.raises(StepFailed, match=r"destination folder .*missing does not exist"):
        execute(
            "S3Download",
            Context(),
            [{"source": f"s3://{name}/k.txt", "destination": f"{tmp_path}/missing/k.txt"}],
        )
    with pytest.raises(StepFailed, match="the object does not exist"):
        execute(
            "S3Download",
            Context(),
            [{"source": f"s3://{name}/none", "destination": f"{tmp_path}/n"}],
        )
    assert not (tmp_path / "n").exists()
    with pytest.raises(StepFailed, match="it leaves the destination"):
        execute(
            "S3Download",
            Context(),
            [{"source": f"s3://{name}/evil/*", "destination": f"{tmp_path}/"}],
        )
    assert not (tmp_path.parent / "escape.txt").exists()
    with pytest.raises(StepFailed, match="is not an s3://bucket/key location"):
        execute(
            "S3Download",
            Context(),
            [{"source": "https://example/x", "destination": f"{tmp_path}/x"}],
        )


def test_download_into_an_image_stays_inside(s3: S3Client, tmp_path: Path) -> None:
    name = bucket(s3, {"conf/app.conf": b"conf"})
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    host_target = tmp_path / "host-file"
    host_target.write_text("host")
    (root / "etc/app.conf").symlink_to(host_target)  # a hostile absolute link
    (root / str(tmp_path).lstrip("/")).mkdir(parents=True)  # where the link points in the image
    execute(
        "S3Download",
        Context(ChrootExecutor(root)),
        [{"source": f"s3://{name}/conf/app.conf", "destination": "/etc/app.conf"}],
    )
    assert host_target.read_text() == "host"
    assert (root / str(host_target).lstrip("/")).read_bytes() == b"conf"


def keys(s3: S3Client, name: str) -> dict[str, bytes]:
    listed = s3.list_objects_v2(Bucket=name).get("Contents", [])
    return {o["Key"]: s3.get_object(Bucket=name, Key=o["Key"])["Body"].read() for o in listed}


def test_upload_file_wildcard_and_folder(s3: S3Client, tmp_path: Path) -> None:
    name = bucket(s3, {})
    folder = tmp_path / "myfolder"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.zip").write_bytes(b"a")
    (folder / "b.zip").write_bytes(b"b")
    (folder / "sub/c.txt").write_bytes(b"c")
    execute(
        "S3Upload",
        Context(),
        [
            {"source": f"{folder}/a.zip", "destination": f"s3://{name}/single/renamed.zip"},
            {"source": f"{folder}/*", "destination": f"s3://{name}/flat/"},
            {"source": f"{folder}/*", "destination": f"s3://{name}/deep/", "recurse": "true"},
            {"source": str(folder), "destination": f"s3://{name}/tree", "recurse": True},
        ],
    )
    assert keys(s3, name) == {
        "single/renamed.zip": b"a",
        "flat/a.zip": b"a",
        "flat/b.zip": b"b",
        "deep/a.zip": b"a",
        "deep/b.zip": b"b",
        "deep/sub/c.txt": b"c",
        "tree/a.zip": b"a",
        "tree/b.zip": b"b",
        "tree/sub/c.txt": b"c",
    }
    with pytest.raises(StepFailed, match="is a folder; set recurse: true"):
        execute("S3Upload", Context(), [{"source": str(folder), "destination": f"s3://{name}/x/"}])
    with pytest.raises(StepFailed, match="nothing matches"):
        execute(
            "S3Upload", Context(), [{"source": f"{folder}/*.nope", "destination": f"s3://{name}/"}]
        )
    with pytest.raises(StepFailed, match="NoSuchBucket"):
        execute(
            "S3Upload",
            Context(),
            [{"source": f"{folder}/a.zip", "destination": "s3://no-such-bucket/a"}],
        )


def test_upload_from_an_image_never_reads_host_files(s3: S3Client, tmp_path: Path) -> None:
    name = bucket(s3, {})
    root = tmp_path / "root"
    (root / "data").mkdir(parents=True)
    (root / "etc").mkdir()
    (root / "etc/shadow").write_text("image shadow")
    secret = tmp_path / "host-secret"
    secret.write_text("host secret")
    (root / "data/shadow").symlink_to("/etc/shadow")
    (root / "data/secret").symlink_to(secret)
    execute(
        "S3Upload",
        Context(ChrootExecutor(root)),
        [{"source": "/data", "destination": f"s3://{name}/", "recurse": True}],
    )
    assert keys(s3, name) == {"shadow": b"image shadow"}


def test_expected_bucket_owner_is_sent(s3: S3Client, tmp_path: Path) -> None:
    sent: list[bytes | None] = []

    def record(request: Any, **_: Any) -> None:
        sent.append(request.headers.get("x-amz-expected-bucket-owner"))

    assert boto3.DEFAULT_SESSION is not None
    boto3.DEFAULT_SESSION.events.register("before-send.s3", record)
    name = bucket(s3, {"k": b"k"})
    (tmp_path / "up").write_bytes(b"up")
    owner = "123456789012"
    execute(
        "S3Download",
        Context(),
        [
            {
                "source": f"s3://{name}/k",
                "destination": f"{tmp_path}/k",
                "expectedBucketOwner": owner,
            }
        ],
    )
    execute(
        "S3Upload",
        Context(),
        [
            {
                "source": f"{tmp_path}/up",
                "destination": f"s3://{name}/up",
                "expectedBucketOwner": owner,
            }
        ],
    )
    assert len(sent) >= 2  # at least one download and one upload request
    assert all(value == owner.encode() for value in sent)

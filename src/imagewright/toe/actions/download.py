"""AWSTOE's download and upload modules: WebDownload (http/https), S3Download and S3Upload.

Transfers run on this host; files are read from and written into the target through the step's
executor, so a download into an image lands inside the image root. S3 uses boto3's standard
credential chain and honours AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import ssl
import stat
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from pydantic import Field, field_validator, model_validator

from imagewright.config.yamlload import StrictModel
from imagewright.toe.actions import InputShape, Outputs, Platform, StepContext, StepFailed, action
from imagewright.toe.actions._target import (
    Target,
    Text,
    basename,
    failing,
    is_folder_path,
    items,
    join,
    umask,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

EVERYWHERE = frozenset({Platform.linux, Platform.windows, Platform.macos})
ALGORITHMS = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA512": "sha512"}
ATTEMPTS = 5  # per WebDownload item, independent of the step's maxAttempts
RETRY_DELAY = 1.0  # seconds before the second attempt; doubles for every further attempt
READ_TIMEOUT = 60.0
CHUNK = 1 << 20


class WebDownloadInput(StrictModel):
    source: Text
    destination: Text
    overwrite: bool = True
    checksum: Text | None = None
    algorithm: Text | None = None
    ignore_certificate_errors: bool = Field(default=False, alias="ignoreCertificateErrors")

    @field_validator("source")
    @classmethod
    def _http_url(cls, source: str) -> str:
        if urllib.parse.urlsplit(source).scheme not in ("http", "https"):
            raise ValueError(f"'{source}' is not an http or https URL")
        return source

    @field_validator("algorithm")
    @classmethod
    def _known_algorithm(cls, algorithm: str | None) -> str | None:
        if algorithm and algorithm.upper() not in ALGORITHMS:
            raise ValueError(
                f"unknown algorithm '{algorithm}'; expected one of: MD5, SHA1, SHA256, SHA512"
            )
        return algorithm

    @model_validator(mode="after")
    def _checksum_with_algorithm(self) -> WebDownloadInput:
        if (self.checksum is None) != (self.algorithm is None):
            raise ValueError("'checksum' and 'algorithm' must be given together")
        return self


class S3DownloadInput(StrictModel):
    source: Text
    destination: Text
    expected_bucket_owner: Text | None = Field(default=None, alias="expectedBucketOwner")
    overwrite: bool = True


class S3UploadInput(StrictModel):
    source: Text
    destination: Text
    recurse: bool = False  # documented as a string; "true"/"false" are accepted too
    expected_bucket_owner: Text | None = Field(default=None, alias="expectedBucketOwner")


# --- writing into the target ------------------------------------------------------------------


@contextlib.contextmanager
def _replacing(host: Path) -> Iterator[IO[bytes]]:
    """A temporary file beside host that replaces it only when the block succeeds."""
    existing = host.stat().st_mode if host.exists() else None
    fd, temporary = tempfile.mkstemp(dir=host.parent, prefix=f".{host.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
        Path(temporary).chmod(stat.S_IMODE(existing) if existing else 0o666 & ~umask())
        Path(temporary).replace(host)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _digest(host: Path, algorithm: str) -> str:
    hasher = hashlib.new(ALGORITHMS[algorithm.upper()])
    with host.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            hasher.update(chunk)
    return hasher.hexdigest()


# --- WebDownload -------------------------------------------------------------------------------


class _Retry(Exception):
    """A failed attempt that another attempt may fix."""


def _opener(ignore_certificate_errors: bool) -> urllib.request.OpenerDirector:
    context = ssl.create_default_context()
    if ignore_certificate_errors:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))


def _fetch(
    opener: urllib.request.OpenerDirector, item: WebDownloadInput, host: Path, timeout: float
) -> None:
    try:
        with opener.open(item.source, timeout=timeout) as response, _replacing(host) as out:
            if response.status != 200:
                raise StepFailed(f"cannot download {item.source}: HTTP status {response.status}")
            hasher = hashlib.new(ALGORITHMS[item.algorithm.upper()]) if item.algorithm else None
            while chunk := response.read(CHUNK):
                out.write(chunk)
                if hasher:
                    hasher.update(chunk)
            if hasher and item.checksum and hasher.hexdigest() != item.checksum.lower():
                raise _Retry(
                    f"{item.algorithm} checksum mismatch: expected {item.checksum}, "
                    f"got {hasher.hexdigest()}"
                )
    except urllib.error.HTTPError as e:
        reason = f"HTTP status {e.code} {e.reason}"
        if e.code >= 500 or e.code in (408, 429):
            raise _Retry(reason) from e
        raise StepFailed(f"cannot download {item.source}: {reason}") from e
    except urllib.error.URLError as e:
        if isinstance(e.reason, ssl.SSLCertVerificationError):
            raise StepFailed(
                f"cannot download {item.source}: the server's certificate is not trusted "
                f"({e.reason.verify_message})",
                hint="set ignoreCertificateErrors: true only for a server you trust",
            ) from e
        raise _Retry(str(e.reason)) from e
    except (OSError, TimeoutError) as e:
        raise _Retry(str(e)) from e


def _download(ctx: StepContext, item: WebDownloadInput, host: Path) -> None:
    opener = _opener(item.ignore_certificate_errors)
    timeout = min(ctx.timeout or READ_TIMEOUT, READ_TIMEOUT)
    for attempt in range(1, ATTEMPTS + 1):
        try:
            _fetch(opener, item, host, timeout)
            return
        except _Retry as e:
            if attempt == ATTEMPTS:
                raise StepFailed(
                    f"cannot download {item.source}: {e} (after {ATTEMPTS} attempts)"
                ) from e
            delay = RETRY_DELAY * 2 ** (attempt - 1)
            ctx.console(f"download of {item.source} failed ({e}); retrying in {delay:g}s")
            time.sleep(delay)


@action(
    "WebDownload",
    platforms=EVERYWHERE,
    shape=InputShape.list,
    inputs=WebDownloadInput,
    outputs=("destination",),
)
def web_download(ctx: StepContext, inputs: Sequence[WebDownloadInput]) -> Outputs:
    """Download http(s) URLs to files or folders, verifying an optional checksum."""
    target = Target(ctx)
    saved: list[str] = []
    for item in items(inputs):
        destination = item.destination
        if is_folder_path(destination):
            name = urllib.parse.unquote(posixpath.basename(urllib.parse.urlsplit(item.source).path))
            if not name:
                raise StepFailed(
                    f"cannot name the file for {item.source}: the URL has no file name; "
                    "give a destination file path instead of a folder"
                )
            destination = join(destination, name)
        target.make_parent(destination)
        host = target.path(destination)
        if host.is_dir():
            raise StepFailed(f"cannot download to {destination}: a folder with that name exists")
        if host.exists():
            if not item.overwrite:
                raise StepFailed(f"{destination} already exists and overwrite is false")
            if item.checksum and item.algorithm:
                with failing(f"cannot read {destination}"):
                    if _digest(host, item.algorithm) == item.checksum.lower():
                        ctx.console(f"{destination} already has the expected checksum; kept")
                        saved.append(destination)
                        continue
        with failing(f"cannot write {destination}"):
            _download(ctx, item, host)
        ctx.console(f"downloaded {item.source} to {destination}")
        saved.append(destination)
    return {"destination": "\n".join(saved)}


# --- S3 ----------------------------------------------------------------------------------------


def _s3() -> S3Client:
    import boto3  # imported here: boto3 takes a while to load and most documents never need it

    return boto3.client("s3")


def _bucket_and_key(uri: str) -> tuple[str, str]:
    parsed = urllib.parse.urlsplit(uri)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise StepFailed(f"'{uri}' is not an s3://bucket/key location")
    return parsed.netloc, parsed.path.lstrip("/")


def _owner(expected: str | None) -> dict[str, Any]:
    return {"ExpectedBucketOwner": expected} if expected else {}


@contextlib.contextmanager
def _s3_errors(what: str) -> Iterator[None]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as e:
        error = e.response.get("Error", {})
        code = error.get("Code", "error")
        if code in ("404", "NoSuchKey"):
            raise StepFailed(f"{what}: the object does not exist") from e
        raise StepFailed(f"{what}: {code} {error.get('Message', '')}".rstrip()) from e
    except BotoCoreError as e:
        raise StepFailed(
            f"{what}: {e}",
            hint="credentials come from the AWS environment variables, shared files or the "
            "instance profile; AWS_ENDPOINT_URL_S3 selects another S3 endpoint",
        ) from e


def _safe_relative(key: str, base: str) -> str:
    """The part of key below base, refused when it would climb out of the destination."""
    relative = key[len(base) :]
    parts = relative.split("/")
    if relative.startswith("/") or any(part in ("..", ".") for part in parts):
        raise StepFailed(f"refusing to download the object key '{key}': it leaves the destination")
    return relative


def _download_object(
    client: S3Client, bucket: str, key: str, host: Path, owner: str | None
) -> None:
    with _s3_errors(f"cannot download s3://{bucket}/{key}"), _replacing(host) as out:
        client.download_fileobj(bucket, key, out, ExtraArgs=_owner(owner))


@action("S3Download", platforms=EVERYWHERE, shape=InputShape.list, inputs=S3DownloadInput)
def s3_download(ctx: StepContext, inputs: Sequence[S3DownloadInput]) -> Outputs:
    """Download an S3 object, or every object under a `prefix/*`, into existing folders."""
    target = Target(ctx)
    client = _s3()
    for item in items(inputs):
        bucket, key = _bucket_and_key(item.source)
        wanted: list[tuple[str, str]] = []  # (object key, destination path)
        if key.endswith("*"):
            prefix = key[:-1]
            base = prefix[: prefix.rfind("/") + 1]
            folder = item.destination
            if not target.path(folder).is_dir():
                raise StepFailed(f"the destination folder {folder} does not exist")
            listing = client.get_paginator("list_objects_v2").paginate(
                Bucket=bucket, Prefix=prefix, **_owner(item.expected_bucket_owner)
            )
            with _s3_errors(f"cannot list s3://{bucket}/{prefix}"):
                keys = [found["Key"] for page in listing for found in page.get("Contents", [])]
            for object_key in keys:
                relative = _safe_relative(object_key, base)
                if relative:
                    wanted.append((object_key, join(folder, relative)))
        else:
            destination = item.destination
            if is_folder_path(destination) or target.path(destination).is_dir():
                destination = join(destination, basename(key))
            parent = posixpath.dirname(destination.rstrip("/"))
            if parent and not target.path(parent).is_dir():
                raise StepFailed(f"the destination folder {parent} does not exist")
            wanted.append((key, destination))
        for object_key, destination in wanted:
            if object_key.endswith("/"):
                target.make_folders(destination)
                continue
            target.make_parent(destination)
            host = target.path(destination)
            if host.exists() and not item.overwrite:
                raise StepFailed(
                    f'{destination}: File already exists and "overwrite" property for '
                    '"destination" file is set to false'
                )
            with failing(f"cannot write {destination}"):
                _download_object(client, bucket, object_key, host, item.expected_bucket_owner)
            ctx.console(f"downloaded s3://{bucket}/{object_key} to {destination}")
    return {}


def _uploads(target: Target, item: S3UploadInput) -> list[tuple[str, str]]:
    """(source path in the target, object key) for every file the item uploads."""
    bucket_key = _bucket_and_key(item.destination)[1]
    prefix = bucket_key if not bucket_key or bucket_key.endswith("/") else bucket_key + "/"
    wildcard = "*" in posixpath.basename(item.source)
    sources = target.expand(item.source)
    if wildcard and not sources:
        raise StepFailed(f"nothing matches {item.source}")
    found: list[tuple[str, str]] = []
    for source in sources:
        info = target.stat(source)
        if info is None:
            raise StepFailed(f"source {source} does not exist")
        if not stat.S_ISDIR(info.st_mode):
            if wildcard or is_folder_path(item.destination) or not bucket_key:
                found.append((source, prefix + basename(source)))
            else:
                found.append((source, bucket_key))
            continue
        if not item.recurse:
            if wildcard:
                continue
            raise StepFailed(f"source {source} is a folder; set recurse: true to upload it")
        below = prefix + basename(source) + "/" if wildcard else prefix
        for entry in target.walk(source):
            if stat.S_ISDIR(entry.stat.st_mode):
                continue
            # A link is read through the confined resolver; links to folders are not entered.
            if stat.S_ISREG(entry.stat.st_mode) or target.path(entry.path).is_file():
                found.append((entry.path, below + entry.relative))
    return found


@action("S3Upload", platforms=EVERYWHERE, shape=InputShape.list, inputs=S3UploadInput)
def s3_upload(ctx: StepContext, inputs: Sequence[S3UploadInput]) -> Outputs:
    """Upload files (a `*` in the name, or a folder with recurse) to S3."""
    target = Target(ctx)
    client = _s3()
    for item in items(inputs):
        bucket = _bucket_and_key(item.destination)[0]
        for source, key in _uploads(target, item):
            with (
                failing(f"cannot read {source}"),
                target.path(source).open("rb") as handle,
                _s3_errors(f"cannot upload {source} to s3://{bucket}/{key}"),
            ):
                client.upload_fileobj(
                    handle, bucket, key, ExtraArgs=_owner(item.expected_bucket_owner)
                )
            ctx.console(f"uploaded {source} to s3://{bucket}/{key}")
    return {}

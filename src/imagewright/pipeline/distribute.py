"""The distribution step: the gate decides, then the artifacts go to every configured target.

Targets of a distribution configuration entry: `localExportConfiguration.directory` (a folder)
and `s3ExportConfiguration` (an S3 bucket, through boto3; AWS_ENDPOINT_URL_S3 or
AWS_ENDPOINT_URL point it at another endpoint). Each target gets, next to the artifacts,
launch-permissions.json: who the image is shared with.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from imagewright.config.distribution import Distribution, DistributionConfiguration
from imagewright.config.yamlload import load_model, read_text_file
from imagewright.errors import (
    BadTargetError,
    ConfigError,
    GateFailed,
    ImagewrightError,
    NeedsAwsError,
    Problem,
)
from imagewright.findings import Finding, Report, Severity
from imagewright.log import step
from imagewright.policy.engine import blocking, gate
from imagewright.policy.policyfile import Policy
from imagewright.run import run

if TYPE_CHECKING:
    from imagewright.pipeline.catalog import Catalog, ImageRecord

log = logging.getLogger(__name__)

LAUNCH_PERMISSIONS = "launch-permissions.json"
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")  # a folder and S3 key part


@dataclass(frozen=True, slots=True)
class SharedWith:
    accounts: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    organizational_units: tuple[str, ...] = ()

    @property
    def public(self) -> bool:
        return "all" in self.groups

    @staticmethod
    def of(entry: Distribution) -> SharedWith:
        ami = entry.ami_distribution_configuration
        if ami is None:
            return SharedWith()
        permission = ami.launch_permission
        accounts = list(ami.target_account_ids)
        if permission is not None:
            accounts += [a for a in permission.user_ids if a not in accounts]
        return SharedWith(
            accounts=tuple(accounts),
            groups=tuple(permission.user_groups) if permission else (),
            organizations=tuple(permission.organization_arns) if permission else (),
            organizational_units=tuple(permission.organizational_unit_arns) if permission else (),
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "public": self.public,
            "accounts": list(self.accounts),
            "userGroups": list(self.groups),
            "organizationArns": list(self.organizations),
            "organizationalUnitArns": list(self.organizational_units),
        }


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where one copy of the image went and who it is shared with there."""

    kind: str  # local or s3
    location: str  # a folder, or s3://bucket/prefix/
    region: str | None
    files: tuple[str, ...]
    shared_with: SharedWith

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "region": self.region,
            "files": list(self.files),
            "sharedWith": self.shared_with.as_json(),
        }


@dataclass(frozen=True, slots=True)
class DistributionRecord:
    image: str
    gate: Report
    deliveries: tuple[Delivery, ...] = field(default_factory=tuple)


def record_distribution(catalog: Catalog, image_id: int, record: DistributionRecord) -> None:
    """Note in the catalog where the image went and with whom it is shared there."""
    for delivery in record.deliveries:
        catalog.add_distribution(image_id, delivery.location, delivery.as_json())


def distribute_catalog_image(
    catalog: Catalog,
    image: ImageRecord,
    scan_report: Report,
    config: Path,
    policy: Policy,
    *,
    configs: Sequence[Path] = (),
    threshold: Severity | None = None,
    image_name: str | None = None,
) -> DistributionRecord:
    """distribute() for an image of the catalog: its artifacts, gated with its recipe, and the
    deliveries recorded in the catalog."""
    recipe = [Path(image.recipe_path)] if image.recipe_path else []
    record = distribute(
        [a.path for a in image.artifacts],
        scan_report,
        config,
        policy,
        image_name=image_name or f"{image.name}-{image.version.semantic}-{image.version.build}",
        configs=[*recipe, *configs],
        threshold=threshold,
        checksums={a.path.name: a.sha256 for a in image.artifacts},
    )
    record_distribution(catalog, image.id, record)
    return record


class DistributionBlocked(GateFailed):
    """The gate found findings at or above the threshold; nothing was distributed."""

    def __init__(
        self, image: str, findings: list[Finding], threshold: Severity, report: Report
    ) -> None:
        self.report = report
        lines = [
            f"distribution of {image} blocked: {len(findings)} finding(s) at or above {threshold}"
        ]
        for finding in findings:
            where = f"{finding.path}:{finding.line}" if finding.line else (finding.path or "")
            lines.append(f"  {finding.severity} {finding.rule_id} {where}: {finding.title}")
        super().__init__(
            "\n".join(lines),
            hint="fix the findings (imagewright lint shows them all), or suppress one with a "
            "reason and an expiry date in the policy file",
        )


def read_scan_report(path: Path) -> Report:
    """A report written by `imagewright scan --format json`."""
    try:
        document = json.loads(read_text_file(path, "scan report"))
    except json.JSONDecodeError as e:
        raise ConfigError(Problem(f"not valid JSON: {e.msg}", file=path, line=e.lineno)) from e
    if not isinstance(document, dict) or "findings" not in document:
        raise ConfigError(
            Problem("not a scan report: expected a JSON object with 'findings'", file=path),
            hint="imagewright scan ROOT --format json --output FILE",
        )
    try:
        return Report.model_validate(
            {"target": document.get("target", str(path)), "findings": document["findings"]}
        )
    except ValidationError as e:
        raise ConfigError(Problem(f"not a scan report: {e}", file=path)) from e


def distribute(
    artifacts: Sequence[Path],
    scan_report: Report,
    config: Path,
    policy: Policy,
    *,
    image_name: str,
    configs: Sequence[Path] = (),
    threshold: Severity | None = None,
    checksums: Mapping[str, str] | None = None,
) -> DistributionRecord:
    """Gate the image, then deliver its artifacts to every target of the configuration.

    configs: more files the gate checks (recipe, infrastructure, pipeline).
    checksums: SHA-256 of the artifacts by file name, when already known (the catalog's).
    Raises DistributionBlocked (exit 1) before anything is written when the gate fails.
    """
    if not SAFE_NAME.fullmatch(image_name):
        raise ConfigError(
            f"image name '{image_name}' cannot be a folder or key name: use letters, digits, "
            "'.', '_' and '-'"
        )
    distribution = load_model(DistributionConfiguration, config)
    with step(f"Checking {image_name} against the distribution policy"):
        report = gate([config, *configs], scan_report, policy)
    blockers = blocking(report, policy, threshold)
    if blockers:
        raise DistributionBlocked(
            image_name, blockers, threshold or policy.severity_threshold, report
        )
    missing = [str(a) for a in artifacts if not a.is_file()]
    if missing or not artifacts:
        raise BadTargetError(
            f"no image artifact to distribute: {', '.join(missing) or 'none given'}"
        )
    known = checksums or {}
    digests = {a.name: known.get(a.name) or sha256_of_file(a) for a in artifacts}
    deliveries: list[Delivery] = []
    for entry in distribution.distributions:
        shared_with = SharedWith.of(entry)
        manifest = _manifest(image_name, entry, shared_with, digests, artifacts)
        if entry.local_export_configuration is not None:
            folder = Path(entry.local_export_configuration.directory).expanduser()
            if not folder.is_absolute():
                folder = config.parent / folder
            with step(f"Copying {image_name} to {folder}"):
                deliveries.append(
                    _to_folder(folder / image_name, artifacts, manifest, entry, shared_with)
                )
        if entry.s3_export_configuration is not None:
            with step(f"Uploading {image_name} to s3://{entry.s3_export_configuration.s3_bucket}"):
                deliveries.append(_to_s3(image_name, artifacts, manifest, entry, shared_with))
    if not deliveries:
        log.warning(
            "%s has no localExportConfiguration or s3ExportConfiguration: nothing copied", config
        )
    return DistributionRecord(image_name, report, tuple(deliveries))


def sha256_of_file(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha256").hexdigest()


def _manifest(
    image: str,
    entry: Distribution,
    shared_with: SharedWith,
    digests: dict[str, str],
    artifacts: Sequence[Path],
) -> bytes:
    ami = entry.ami_distribution_configuration
    document = {
        "image": image,
        "region": entry.region,
        "distributedAt": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "sharedWith": shared_with.as_json(),
        "kmsKeyId": ami.kms_key_id if ami else None,
        "artifacts": [
            {"name": a.name, "size": a.stat().st_size, "sha256": digests[a.name]} for a in artifacts
        ],
    }
    return (json.dumps(document, indent=2) + "\n").encode()


def _to_folder(
    folder: Path,
    artifacts: Sequence[Path],
    manifest: bytes,
    entry: Distribution,
    shared_with: SharedWith,
) -> Delivery:
    folder.mkdir(parents=True, exist_ok=True)
    for artifact in artifacts:
        partial = folder / f".{artifact.name}.partial"
        # cp keeps raw images sparse and reflinks where the file system can.
        run(["cp", "--reflink=auto", "--sparse=always", "--", artifact, partial], timeout=None)
        partial.replace(folder / artifact.name)
    partial = folder / f".{LAUNCH_PERMISSIONS}.partial"
    partial.write_bytes(manifest)
    partial.replace(folder / LAUNCH_PERMISSIONS)
    files = (*(a.name for a in artifacts), LAUNCH_PERMISSIONS)
    return Delivery("local", str(folder), entry.region, files, shared_with)


def _to_s3(
    image: str,
    artifacts: Sequence[Path],
    manifest: bytes,
    entry: Distribution,
    shared_with: SharedWith,
) -> Delivery:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    target = entry.s3_export_configuration
    if target is None:
        raise ValueError("_to_s3 needs an s3ExportConfiguration")
    prefix = "/".join(p for p in ((target.s3_prefix or "").strip("/"), image) if p)
    # A session of its own: credentials and endpoint are read from the environment every time.
    client = boto3.session.Session().client("s3", region_name=entry.region or None)
    try:
        for artifact in artifacts:
            client.upload_file(str(artifact), target.s3_bucket, f"{prefix}/{artifact.name}")
        client.put_object(
            Bucket=target.s3_bucket,
            Key=f"{prefix}/{LAUNCH_PERMISSIONS}",
            Body=manifest,
            ContentType="application/json",
        )
    except NoCredentialsError as e:
        raise NeedsAwsError(
            f"uploading to s3://{target.s3_bucket}/{prefix}/ needs AWS credentials",
            hint="set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY; "
            "AWS_ENDPOINT_URL_S3 selects another S3 endpoint",
        ) from e
    except (BotoCoreError, ClientError) as e:
        raise ImagewrightError(f"uploading to s3://{target.s3_bucket}/{prefix}/ failed: {e}") from e
    files = (*(a.name for a in artifacts), LAUNCH_PERMISSIONS)
    return Delivery("s3", f"s3://{target.s3_bucket}/{prefix}/", entry.region, files, shared_with)

"""Build and test instance settings of infrastructure configurations: IMDSv2, hop limit,
termination on failure, logging."""

from __future__ import annotations

from collections.abc import Iterator

from imagewright.findings import Severity
from imagewright.policy import Hit, LintContext, rule
from imagewright.policy.graph import Kind, as_bool, as_int


@rule(
    "imds-v2-not-required",
    Severity.high,
    summary="Instance metadata service v1 allowed (httpTokens is not 'required')",
    rationale="With IMDSv1 a server-side request forgery in anything running during the build "
    "reads the instance profile's credentials.",
    remediation="Set instanceMetadataOptions.httpTokens: required.",
    equivalents={
        "image-builder": "BP6",
        "security-hub": "EC2.8",
        "checkov": "CKV_AWS_79",
        "prowler": "ec2_instance_imdsv2_enabled",
        "trivy": "AVD-AWS-0028",
    },
)
def imds_v2_not_required(ctx: LintContext) -> Iterator[Hit]:
    for infra in ctx.graph.of_kind(Kind.infrastructure):
        tokens = infra.get("instanceMetadataOptions", "httpTokens")
        if tokens != "required":
            yield Hit(
                infra,
                f"infrastructure configuration {infra.name} does not require IMDSv2 "
                f"(httpTokens is {tokens if tokens is not None else 'not set'})",
                line=infra.line_at("instanceMetadataOptions", "httpTokens"),
            )


@rule(
    "imds-hop-limit",
    Severity.medium,
    summary="Instance metadata hop limit above 1",
    rationale="A hop limit above 1 lets containers and forwarded traffic on the instance reach "
    "the metadata service and its credentials.",
    remediation="Set instanceMetadataOptions.httpPutResponseHopLimit: 1 (2 only for container "
    "builds that need it).",
    equivalents={"image-builder": "BP6", "checkov": "CKV_AWS_341"},
)
def imds_hop_limit(ctx: LintContext) -> Iterator[Hit]:
    for infra in ctx.graph.of_kind(Kind.infrastructure):
        limit = as_int(infra.get("instanceMetadataOptions", "httpPutResponseHopLimit"))
        if limit is not None and limit > 1:
            yield Hit(
                infra,
                f"infrastructure configuration {infra.name} sets the metadata hop limit to {limit}",
                line=infra.line_at("instanceMetadataOptions", "httpPutResponseHopLimit"),
            )


@rule(
    "terminate-on-failure-disabled",
    Severity.info,
    summary="terminateInstanceOnFailure is false",
    rationale="A failed build instance is kept running with the half-made image, its logs and "
    "its instance profile; nobody may remember to remove it.",
    remediation="Leave terminateInstanceOnFailure at true, or set it to false only while "
    "debugging.",
)
def terminate_on_failure(ctx: LintContext) -> Iterator[Hit]:
    for infra in ctx.graph.of_kind(Kind.infrastructure):
        if as_bool(infra.get("terminateInstanceOnFailure")) is False:
            yield Hit(
                infra,
                f"infrastructure configuration {infra.name} keeps failed build instances running",
                line=infra.line_at("terminateInstanceOnFailure"),
            )


@rule(
    "logging-missing",
    Severity.info,
    summary="No build logs kept (logging.s3Logs not set)",
    rationale="Without the logs of the build and test instances a compromised or odd build "
    "cannot be investigated afterwards.",
    remediation="Set logging.s3Logs.s3BucketName (and s3KeyPrefix).",
)
def logging_missing(ctx: LintContext) -> Iterator[Hit]:
    for infra in ctx.graph.of_kind(Kind.infrastructure):
        if not infra.get("logging", "s3Logs", "s3BucketName"):
            yield Hit(
                infra,
                f"infrastructure configuration {infra.name} keeps no build logs",
                line=infra.line_at("logging"),
            )

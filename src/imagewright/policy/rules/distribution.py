"""Distribution and pipeline settings: KMS encryption of distributed images, image tests."""

from __future__ import annotations

from collections.abc import Iterator

from imagewright.findings import Severity
from imagewright.policy import Hit, LintContext, rule
from imagewright.policy.graph import Kind, as_bool, as_list


@rule(
    "distribution-no-kms-key",
    Severity.medium,
    summary="AMI distribution without a KMS key",
    rationale="Without amiDistributionConfiguration.kmsKeyId the distributed copies are not "
    "encrypted with a key you control, so you cannot revoke access to them.",
    remediation="Set amiDistributionConfiguration.kmsKeyId to a customer managed key.",
    equivalents={"checkov": "CKV_AWS_199", "trivy": "AVD-AWS-0027", "cfn-nag": "W37"},
)
def no_kms_key(ctx: LintContext) -> Iterator[Hit]:
    for resource in ctx.graph.of_kind(Kind.distribution):
        for index, entry in enumerate(as_list(resource.get("distributions"))):
            ami = entry.get("amiDistributionConfiguration") if isinstance(entry, dict) else None
            if isinstance(ami, dict) and not ami.get("kmsKeyId"):
                region = entry.get("region") or f"distributions[{index}]"
                yield Hit(
                    resource,
                    f"distribution {resource.name} ({region}) copies the image without a KMS key",
                    line=resource.line_at("distributions", index, "amiDistributionConfiguration"),
                )


@rule(
    "image-tests-disabled",
    Severity.medium,
    summary="Image tests disabled (pipeline imageTestsConfiguration.imageTestsEnabled: false, "
    "recipe tests.enabled: false)",
    rationale="Image Builder's best practice: test images for their security posture before "
    "they are distributed; without the test phase nothing checks the image that is shipped.",
    remediation="Set imageTestsEnabled: true (or leave it unset).",
    equivalents={"image-builder": "BP5"},
)
def image_tests_disabled(ctx: LintContext) -> Iterator[Hit]:
    for pipeline in ctx.graph.of_kind(Kind.pipeline):
        if as_bool(pipeline.get("imageTestsConfiguration", "imageTestsEnabled")) is False:
            yield Hit(
                pipeline,
                f"pipeline {pipeline.name} builds images without running their tests",
                line=pipeline.line_at("imageTestsConfiguration", "imageTestsEnabled"),
            )
    for recipe in ctx.graph.of_kind(Kind.recipe):
        if as_bool(recipe.get("tests", "enabled")) is False:
            yield Hit(
                recipe,
                f"recipe {recipe.name} builds images without running their tests",
                line=recipe.line_at("tests", "enabled"),
            )

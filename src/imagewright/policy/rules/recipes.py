"""What a recipe puts into the image: a patch step, encrypted volumes, the mandatory clean-up
left on (userDataOverride with perform_cleanup, no skip markers)."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator

from imagewright.findings import Severity
from imagewright.policy import Hit, LintContext, rule
from imagewright.policy.graph import Kind, Resource, as_bool, as_list

_PATCH_COMPONENT = re.compile(r"(^|[/:])update-(linux|windows)(/|$)")
_UPDATE_OS = re.compile(r"""["']?action["']?\s*:\s*["']?UpdateOS\b""")
_SKIP_MARKER = re.compile(r"\bskip_cleanup_[a-z_]+")
_PERFORM_CLEANUP = re.compile(r"""(\S*?)/?perform_cleanup\b""")
DEFAULT_WORKING_DIRECTORY = "/tmp"


def components(ctx: LintContext, recipe: Resource) -> Iterator[tuple[str, Resource | None]]:
    """(reference, the component resource when it was read) of each recipe component."""
    for entry in as_list(recipe.get("components")):
        if isinstance(entry, dict):
            reference = entry.get("componentArn") or entry.get("name") or entry.get("arn") or ""
        else:
            reference = entry
        reference = str(reference)
        yield reference, ctx.graph.find(Kind.component, reference)


def documents(ctx: LintContext, recipe: Resource) -> list[str]:
    texts = list(recipe.documents)
    for _, component in components(ctx, recipe):
        if component is not None:
            texts.extend(component.documents)
    return texts


@rule(
    "recipe-no-patch-step",
    Severity.high,
    category="patch",
    summary="Recipe without a patch step (update-linux / update-windows component or UpdateOS)",
    rationale="Image Builder's best practice: apply all available security patches during the "
    "build. An image without them ships known vulnerabilities to every instance.",
    remediation="Add the update-linux (or update-windows) component, or a component with an "
    "UpdateOS step, to the recipe.",
    equivalents={
        "image-builder": "BP4",
        "security-hub": "SSM.2",
        "prowler": "ssm_managed_compliant_patching",
    },
)
def no_patch_step(ctx: LintContext) -> Iterator[Hit]:
    for recipe in ctx.graph.of_kind(Kind.recipe):
        named = any(_PATCH_COMPONENT.search(ref) for ref, _ in components(ctx, recipe))
        if named or any(_UPDATE_OS.search(text) for text in documents(ctx, recipe)):
            continue
        yield Hit(
            recipe,
            f"recipe {recipe.name} installs no security updates (no update-linux component or "
            "UpdateOS step)",
            line=recipe.line_at("components"),
        )


@rule(
    "pending-security-updates",
    Severity.high,
    category="patch",
    summary="The image's scan found pending security updates",
    rationale="The image was built without the security updates available for its packages.",
    remediation="Rebuild with the update-linux component (or an UpdateOS step) last among the "
    "build components.",
    equivalents={
        "image-builder": "BP4",
        "security-hub": "SSM.2",
        "prowler": "ssm_managed_compliant_patching",
    },
)
def pending_security_updates(ctx: LintContext) -> Iterator[Hit]:
    if ctx.scan is None:
        return
    pending = [f for f in ctx.scan.findings if f.category == "patch"]
    if not pending:
        return
    image = Resource(Kind.image, ctx.scan.target, ctx.scan.target, None)
    names = ", ".join(sorted({f.path or f.title for f in pending})[:5])
    yield Hit(
        image,
        f"the image has {len(pending)} pending security update(s)",
        evidence=names,
    )


@rule(
    "recipe-volume-unencrypted",
    Severity.high,
    summary="Recipe block device mapping with an unencrypted EBS volume",
    rationale="Unencrypted snapshots of the image can be read by anyone the snapshot reaches.",
    remediation="Set ebs.encrypted: true and ebs.kmsKeyId to a customer managed key.",
    equivalents={
        "security-hub": "EC2.3",
        "checkov": "CKV_AWS_200",
        "trivy": "AVD-AWS-0131",
        "cfn-nag": "F1",
    },
)
def volume_unencrypted(ctx: LintContext) -> Iterator[Hit]:
    for recipe in ctx.graph.of_kind(Kind.recipe):
        for index, mapping in enumerate(as_list(recipe.get("blockDeviceMappings"))):
            if not isinstance(mapping, dict) or not isinstance(mapping.get("ebs"), dict):
                continue
            if as_bool(mapping["ebs"].get("encrypted")) is True:
                continue
            device = mapping.get("deviceName") or f"blockDeviceMappings[{index}]"
            yield Hit(
                recipe,
                f"recipe {recipe.name} leaves volume {device} unencrypted",
                line=recipe.line_at("blockDeviceMappings", index, "ebs", "encrypted"),
            )


def user_data(recipe: Resource) -> str | None:
    """The decoded userDataOverride (base64 in Image Builder; plain text is taken as is)."""
    value = recipe.get("additionalInstanceConfiguration", "userDataOverride")
    if not isinstance(value, str) or not value:
        return None
    try:
        return base64.b64decode(value, validate=True).decode("utf-8", errors="replace")
    except (binascii.Error, ValueError):
        return value


@rule(
    "cleanup-disabled-by-user-data",
    Severity.high,
    summary="userDataOverride without perform_cleanup: the mandatory clean-up is silently skipped",
    rationale="Image Builder skips its clean-up script (SSH host keys, authorized_keys, logs, "
    "cloud-init state) when userDataOverride is set, unless the user data creates "
    "{{workingDirectory}}/perform_cleanup.",
    remediation="Add 'touch <workingDirectory>/perform_cleanup' to the user data, or remove "
    "userDataOverride.",
    equivalents={"image-builder": "clean-up script"},
)
def cleanup_disabled(ctx: LintContext) -> Iterator[Hit]:
    for recipe in ctx.graph.of_kind(Kind.recipe):
        text = user_data(recipe)
        if text is None:
            continue
        line = recipe.line_at("additionalInstanceConfiguration", "userDataOverride")
        working = str(recipe.get("workingDirectory") or DEFAULT_WORKING_DIRECTORY).rstrip("/")
        folders = [m.group(1).rstrip("/") for m in _PERFORM_CLEANUP.finditer(text)]
        if not folders:
            yield Hit(
                recipe,
                f"recipe {recipe.name} overrides user data without creating perform_cleanup: "
                "the clean-up will not run",
                line=line,
            )
        elif not any(
            f in (working, "", "{{workingDirectory}}", "$WORKING_DIRECTORY") for f in folders
        ):
            yield Hit(
                recipe,
                f"recipe {recipe.name} creates perform_cleanup in {folders[0] or '.'}, not in its "
                f"working directory {working}: the clean-up will not run",
                line=line,
            )


@rule(
    "cleanup-skip-marker",
    Severity.high,
    summary="A clean-up skip marker (skip_cleanup_*) is created: part of the clean-up is skipped",
    rationale="Each skip_cleanup_* file in the working directory silently turns off one section "
    "of the clean-up, which can leave SSH keys, owner details or logs in the image.",
    remediation="Remove the commands that create skip_cleanup_* files.",
    equivalents={"image-builder": "clean-up script"},
)
def cleanup_skip_marker(ctx: LintContext) -> Iterator[Hit]:
    for recipe in ctx.graph.of_kind(Kind.recipe):
        sources = [(user_data(recipe) or "", "userDataOverride")]
        sources += [(text, "a component document") for text in documents(ctx, recipe)]
        seen: set[str] = set()
        for text, where in sources:
            for marker in sorted(set(_SKIP_MARKER.findall(text)) - seen):
                seen.add(marker)
                line = (
                    recipe.line_at("additionalInstanceConfiguration", "userDataOverride")
                    if where == "userDataOverride"
                    else recipe.line_at("components")
                )
                yield Hit(
                    recipe,
                    f"recipe {recipe.name} creates {marker} in {where}: that clean-up section is "
                    "skipped",
                    line=line,
                    evidence=marker,
                )

"""Who an image is shared with: accounts, organizations and OUs outside the trusted list, and
public images (userGroups: all)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from imagewright.findings import Severity
from imagewright.policy import Hit, LintContext, rule
from imagewright.policy.graph import Kind, Resource, as_list

SELF_ACCOUNT = "${AWS::AccountId}"
_ORGANIZATION_ID = re.compile(r"\bo-[a-z0-9]{10,32}\b")
_OU_ID = re.compile(r"\bou-[a-z0-9]{4,32}-[a-z0-9]{8,32}\b")
SENSITIVE_CATEGORIES = ("secret", "deleted-data")


@dataclass(frozen=True, slots=True)
class Share:
    kind: str  # account, group, organization, organizational-unit
    value: str
    field: str
    line: int | None


def shares(resource: Resource) -> Iterator[Share]:
    """Every principal a distribution configuration or an image's launch permissions name."""
    if resource.kind is Kind.image:
        yield from _launch_permission(resource, ("launchPermission",))
        return
    for index, entry in enumerate(as_list(resource.get("distributions"))):
        if not isinstance(entry, dict):
            continue
        base = ("distributions", index)
        ami = (*base, "amiDistributionConfiguration")
        for position, account in enumerate(as_list(resource.get(*ami, "targetAccountIds"))):
            line = resource.line_at(*ami, "targetAccountIds", position)
            yield Share("account", str(account), "targetAccountIds", line)
        yield from _launch_permission(resource, (*ami, "launchPermission"))
        for field in ("launchTemplateConfigurations", "fastLaunchConfigurations"):
            for position, item in enumerate(as_list(resource.get(*base, field))):
                if isinstance(item, dict) and item.get("accountId"):
                    line = resource.line_at(*base, field, position, "accountId")
                    yield Share("account", str(item["accountId"]), f"{field}.accountId", line)
        for position, item in enumerate(as_list(resource.get(*base, "ssmParameterConfigurations"))):
            if isinstance(item, dict) and item.get("amiAccountId"):
                line = resource.line_at(*base, "ssmParameterConfigurations", position)
                yield Share(
                    "account", str(item["amiAccountId"]), "ssmParameterConfigurations", line
                )


def _launch_permission(resource: Resource, path: tuple[str | int, ...]) -> Iterator[Share]:
    fields = (
        ("userIds", "account"),
        ("userGroups", "group"),
        ("organizationArns", "organization"),
        ("organizationalUnitArns", "organizational-unit"),
    )
    for field, kind in fields:
        for position, value in enumerate(as_list(resource.get(*path, field))):
            yield Share(
                kind,
                str(value),
                f"launchPermission.{field}",
                resource.line_at(*path, field, position),
            )


def _sharing_resources(ctx: LintContext) -> Iterator[Resource]:
    yield from ctx.graph.of_kind(Kind.distribution)
    yield from ctx.graph.of_kind(Kind.image)


def _unresolved(value: str) -> bool:
    return value.startswith("${") and value != SELF_ACCOUNT


@rule(
    "share-untrusted-account",
    Severity.high,
    summary="Image shared with an account outside the trusted list",
    rationale="Image Builder's best practice: do not share images with accounts you do not "
    "trust. Every account that can launch the image can read everything in it.",
    remediation="Remove the account, or add it to trustedAccounts in the policy file "
    "(or --trusted-accounts) once it is trusted.",
    equivalents={"image-builder": "BP2", "checkov": "CKV_AWS_205"},
)
def untrusted_account(ctx: LintContext) -> Iterator[Hit]:
    trusted = set(ctx.policy.trusted_accounts)
    for resource in _sharing_resources(ctx):
        for share in shares(resource):
            if share.kind != "account" or share.value == SELF_ACCOUNT or share.value in trusted:
                continue
            why = (
                "cannot be verified (unresolved value)"
                if _unresolved(share.value)
                else (
                    "is not in the trusted accounts"
                    if trusted
                    else "no trusted accounts are configured"
                )
            )
            yield Hit(
                resource,
                f"{resource.name} shares the image with account {share.value} "
                f"({share.field}): {why}",
                line=share.line,
            )


def organization_trusted(value: str, organizations: list[str], units: list[str]) -> bool:
    trusted_org_ids = {m.group(0) for o in organizations for m in [_ORGANIZATION_ID.search(o)] if m}
    trusted_ou_ids = {m.group(0) for u in units for m in [_OU_ID.search(u)] if m}
    if value in organizations or value in units:
        return True
    ou = _OU_ID.search(value)
    if ou and ou.group(0) in trusted_ou_ids:
        return True
    organization = _ORGANIZATION_ID.search(value)
    # An OU of a trusted organization is trusted with it.
    return bool(organization and organization.group(0) in trusted_org_ids)


@rule(
    "share-untrusted-organization",
    Severity.high,
    summary="Image shared with an organization or OU outside the trusted list",
    rationale="Sharing with an organization or OU gives every account in it, now and later, "
    "launch rights on the image.",
    remediation="Remove the ARN, or add the organization (or OU) to trustedOrganizations / "
    "trustedOrganizationalUnits in the policy file.",
    equivalents={"image-builder": "BP2", "checkov": "CKV_AWS_205"},
)
def untrusted_organization(ctx: LintContext) -> Iterator[Hit]:
    organizations = ctx.policy.trusted_organizations
    units = ctx.policy.trusted_organizational_units
    for resource in _sharing_resources(ctx):
        for share in shares(resource):
            if share.kind not in ("organization", "organizational-unit"):
                continue
            if organization_trusted(share.value, organizations, units):
                continue
            label = "organization" if share.kind == "organization" else "organizational unit"
            yield Hit(
                resource,
                f"{resource.name} shares the image with {label} {share.value}, "
                "which is not trusted",
                line=share.line,
            )


def sensitive_scan_findings(ctx: LintContext) -> int:
    if ctx.scan is None:
        return 0
    return sum(1 for f in ctx.scan.findings if f.category in SENSITIVE_CATEGORIES)


@rule(
    "image-public",
    Severity.high,
    summary="Public image (launchPermission.userGroups: all); critical when the image's scan "
    "found secrets or deleted data",
    rationale="Image Builder's best practice: do not make images public that contain private "
    "or sensitive data. Anyone can copy a public image and recover what it holds, deleted "
    "files included.",
    remediation="Remove 'all' from userGroups and share with accounts instead; to publish, set "
    "allowPublicImages: true in the policy file and distribute only images whose scan is clean.",
    equivalents={"image-builder": "BP3", "prowler": "ec2_ami_public", "checkov": "CKV_AWS_205"},
)
def public_image(ctx: LintContext) -> Iterator[Hit]:
    sensitive = sensitive_scan_findings(ctx)
    for resource in _sharing_resources(ctx):
        for share in shares(resource):
            if share.kind != "group" or share.value != "all":
                continue
            where = f"{resource.name} makes the image public ({share.field}: all)"
            if sensitive:
                yield Hit(
                    resource,
                    f"{where} and its scan found {sensitive} secret or deleted-data finding(s)",
                    line=share.line,
                    severity=Severity.critical,
                )
            elif not ctx.policy.allow_public_images:
                yield Hit(
                    resource, f"{where}; the policy does not allow public images", line=share.line
                )
            elif ctx.scan is None:
                yield Hit(
                    resource,
                    f"{where}; allowed by the policy, but no scan report shows the image is clean",
                    line=share.line,
                    severity=Severity.info,
                )

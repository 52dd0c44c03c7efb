"""The JSON that the AWS CLI prints for the resources the rules look at.

ec2 describe-security-groups, ec2 describe-image-attribute --attribute launchPermission,
imagebuilder get-infrastructure-configuration | get-distribution-configuration |
get-image-recipe | get-image-pipeline | get-component.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from imagewright.config.yamlload import field_path
from imagewright.policy.graph import Direction, Graph, Kind, Permission, Resource, as_list
from imagewright.policy.inputs.tree import item_line, node_line, walk

# imagebuilder get-* output key → resource kind
_IMAGEBUILDER = {
    "infrastructureConfiguration": Kind.infrastructure,
    "distributionConfiguration": Kind.distribution,
    "imageRecipe": Kind.recipe,
    "containerRecipe": Kind.recipe,
    "imagePipeline": Kind.pipeline,
    "component": Kind.component,
}
# ec2 LaunchPermissions entry key → Image Builder launchPermission field
_LAUNCH_PERMISSION_FIELDS = {
    "UserId": "userIds",
    "Group": "userGroups",
    "OrganizationArn": "organizationArns",
    "OrganizationalUnitArn": "organizationalUnitArns",
}


def is_cli_output(tree: Any) -> bool:
    if not isinstance(tree, dict):
        return False
    # A recipe's infrastructureConfiguration is a file name; the CLI prints a mapping there.
    wrapped = any(isinstance(tree.get(key), dict) for key in _IMAGEBUILDER)
    return "SecurityGroups" in tree or "LaunchPermissions" in tree or wrapped


def read_cli_output(tree: Any, source: Path | str) -> Graph:
    graph = Graph()
    origin = str(source)
    for group in as_list(tree.get("SecurityGroups")):
        graph.add(_security_group(group, origin))
    if "LaunchPermissions" in tree:
        graph.add(_launch_permissions(tree, origin))
    for key, kind in _IMAGEBUILDER.items():
        body = tree.get(key)
        if not isinstance(body, dict):
            continue
        lines: dict[str, int] = {}
        properties = walk(body, lines)
        if kind is Kind.recipe and "version" in properties:
            properties["semanticVersion"] = properties.pop("version")
        name = str(properties.get("arn") or properties.get("name") or key)
        resource = graph.add(Resource(kind, name, origin, node_line(body), properties, lines))
        resource.aliases.update(str(properties[k]) for k in ("arn", "name") if properties.get(k))
        if isinstance(properties.get("data"), str):
            resource.documents.append(properties["data"])
    return graph


def _security_group(group: Any, source: str) -> Resource:
    lines: dict[str, int] = {}
    properties = walk(group, lines)
    name = str(properties.get("GroupId") or properties.get("GroupName") or "security group")
    resource = Resource(Kind.security_group, name, source, node_line(group), properties, lines)
    resource.aliases.update(str(properties[k]) for k in ("GroupId", "GroupName") if k in properties)
    fields: tuple[tuple[Direction, str], ...] = (
        ("ingress", "IpPermissions"),
        ("egress", "IpPermissionsEgress"),
    )
    for direction, key in fields:
        for index, permission in enumerate(as_list(properties.get(key))):
            line = lines.get(field_path([key, index]))
            resource.permissions.extend(_permissions(direction, permission, source, line))
    return resource


def _permissions(
    direction: Direction, entry: dict[str, Any], source: str, line: int | None
) -> list[Permission]:
    peers: list[tuple[str | None, str | None]] = []
    peers += [(r.get("CidrIp"), None) for r in as_list(entry.get("IpRanges"))]
    peers += [(r.get("CidrIpv6"), None) for r in as_list(entry.get("Ipv6Ranges"))]
    peers += [(None, r.get("GroupId")) for r in as_list(entry.get("UserIdGroupPairs"))]
    peers += [(None, r.get("PrefixListId")) for r in as_list(entry.get("PrefixListIds"))]
    return [
        Permission.make(
            direction,
            entry.get("IpProtocol", "-1"),
            entry.get("FromPort"),
            entry.get("ToPort"),
            cidr,
            peer=peer,
            source=source,
            line=line,
        )
        for cidr, peer in peers
    ]


def _launch_permissions(tree: Any, source: str) -> Resource:
    permission: dict[str, list[str]] = {}
    lines: dict[str, int] = {}
    entries = tree["LaunchPermissions"]
    for index, entry in enumerate(as_list(entries)):
        for key, value in (entry or {}).items():
            field = _LAUNCH_PERMISSION_FIELDS.get(str(key))
            if field is None:
                continue
            values = permission.setdefault(field, [])
            line = item_line(entries, index)
            if line is not None:
                lines[field_path(["launchPermission", field, len(values)])] = line
            values.append(str(value))
    name = str(tree.get("ImageId") or "image")
    return Resource(
        Kind.image, name, source, node_line(tree), {"launchPermission": permission}, lines
    )

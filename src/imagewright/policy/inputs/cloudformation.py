"""CloudFormation templates (YAML or JSON): intrinsic functions resolved, references followed.

Every short-form tag (!Ref, !GetAtt, !Sub, …) gets a ruamel constructor that turns it into the
long form ({"Fn::Sub": …}), so both spellings meet the same resolver. Values come from parameter
defaults, mappings and conditions; a reference to a resource resolves to its logical ID, which is
how an InfrastructureConfiguration's SecurityGroupIds find the group's rules.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from imagewright.config.yamlload import field_path
from imagewright.errors import ConfigError, Problem
from imagewright.policy.graph import (
    DEFAULT_EGRESS,
    Direction,
    Graph,
    Kind,
    Permission,
    Resource,
    as_list,
)
from imagewright.policy.inputs.tree import item_line, key_line, node_line

TAGS = (
    "Ref", "GetAtt", "Sub", "Join", "If", "Select", "Split", "FindInMap", "ImportValue",
    "Base64", "Cidr", "Equals", "And", "Or", "Not", "Condition", "GetAZs",
)  # fmt: skip


def _long_name(tag: str) -> str:
    return tag if tag in ("Ref", "Condition") else f"Fn::{tag}"


def _intrinsic_constructor(tag: str) -> Callable[[RoundTripConstructor, Node], CommentedMap]:
    def construct(constructor: RoundTripConstructor, node: Node) -> CommentedMap:
        value: Any
        if isinstance(node, ScalarNode):
            value = constructor.construct_scalar(node)
            value = str(value)
            if tag == "GetAtt":
                value = CommentedSeq(value.split(".", 1))
        elif isinstance(node, SequenceNode):
            value = CommentedSeq(
                constructor.construct_object(child, deep=True) for child in node.value
            )
            for index, child in enumerate(node.value):
                value.lc.add_kv_line_col(index, [child.start_mark.line, child.start_mark.column])
            value.lc.line, value.lc.col = node.start_mark.line, node.start_mark.column
        elif isinstance(node, MappingNode):
            value = CommentedMap()
            for key_node, value_node in node.value:
                key = constructor.construct_object(key_node, deep=True)
                value[key] = constructor.construct_object(value_node, deep=True)
                value.lc.add_kv_line_col(
                    key,
                    [
                        key_node.start_mark.line,
                        key_node.start_mark.column,
                        value_node.start_mark.line,
                        value_node.start_mark.column,
                    ],
                )
            value.lc.line, value.lc.col = node.start_mark.line, node.start_mark.column
        else:  # pragma: no cover - ruamel has no other node kinds
            raise TypeError(node)
        wrapper = CommentedMap([(_long_name(tag), value)])
        wrapper.lc.line, wrapper.lc.col = node.start_mark.line, node.start_mark.column
        wrapper.lc.add_kv_line_col(
            _long_name(tag),
            [
                node.start_mark.line,
                node.start_mark.column,
                node.start_mark.line,
                node.start_mark.column,
            ],
        )
        return wrapper

    return construct


def load_template_text(text: str, source: Path | str) -> Any:
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    for tag in TAGS:
        yaml.constructor.add_constructor(f"!{tag}", _intrinsic_constructor(tag))
    try:
        return yaml.load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        raise ConfigError(
            Problem(
                f"not valid YAML: {e.problem or e.context}",
                file=source,
                line=mark.line + 1 if mark else None,
                column=mark.column + 1 if mark else None,
            )
        ) from e
    except (YAMLError, TypeError, ValueError) as e:
        raise ConfigError(Problem(f"not valid YAML: {e}", file=source)) from e


def is_template(tree: Any) -> bool:
    if not isinstance(tree, dict):
        return False
    if "AWSTemplateFormatVersion" in tree:
        return True
    resources = tree.get("Resources")
    return isinstance(resources, dict) and any(
        isinstance(r, dict) and "Type" in r for r in resources.values()
    )


class _NoValue:
    """AWS::NoValue: the property is removed."""


NO_VALUE = _NoValue()
_SUB_VARIABLE = re.compile(r"\$\{([^}!][^}]*)\}")
_RESOURCE_KINDS = {
    "AWS::ImageBuilder::InfrastructureConfiguration": Kind.infrastructure,
    "AWS::ImageBuilder::DistributionConfiguration": Kind.distribution,
    "AWS::ImageBuilder::ImageRecipe": Kind.recipe,
    "AWS::ImageBuilder::ContainerRecipe": Kind.recipe,
    "AWS::ImageBuilder::ImagePipeline": Kind.pipeline,
    "AWS::ImageBuilder::Image": Kind.pipeline,
    "AWS::ImageBuilder::Component": Kind.component,
}
# CloudFormation property names that are not the API name with its first letter lowered.
_RENAMES = {
    "LaunchPermissionConfiguration": "launchPermission",
    "Version": "semanticVersion",
    "SecurityGroupIngress": "ingress",
    "SecurityGroupEgress": "egress",
}


def api_name(cfn_name: str) -> str:
    renamed = _RENAMES.get(cfn_name)
    if renamed is not None:
        return renamed
    return cfn_name[:1].lower() + cfn_name[1:]


class Template:
    """One template: its parameters, mappings, conditions and resources, and a resolver."""

    def __init__(self, tree: Any, source: Path | str) -> None:
        self.source = str(source)
        self.tree = tree
        self.parameters: dict[str, Any] = {}
        for name, spec in (tree.get("Parameters") or {}).items():
            if isinstance(spec, dict) and "Default" in spec:
                default = spec["Default"]
                kind = str(spec.get("Type", ""))
                if isinstance(default, str) and (kind.startswith("List<") or "Comma" in kind):
                    default = [item.strip() for item in default.split(",")]
                self.parameters[str(name)] = default
        self.mappings: dict[str, Any] = dict(tree.get("Mappings") or {})
        self.conditions: dict[str, Any] = dict(tree.get("Conditions") or {})
        resources = tree.get("Resources")
        if not isinstance(resources, dict):
            raise ConfigError(Problem("a template needs a Resources mapping", file=source))
        self.resources: dict[str, Any] = resources  # kept as loaded: it knows its lines
        self._evaluating: set[str] = set()

    # -- intrinsic functions ---------------------------------------------------------------
    def resolve(self, node: Any) -> Any:
        """node with every intrinsic function evaluated as far as the template allows."""
        if isinstance(node, dict):
            if len(node) == 1:
                (key, argument), *_ = node.items()
                function = self._FUNCTIONS.get(str(key))
                if function is not None:
                    return function(self, argument)
            resolved = {str(k): self.resolve(v) for k, v in node.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        if isinstance(node, list):
            return [v for v in (self.resolve(item) for item in node) if v is not NO_VALUE]
        return node

    def _ref(self, argument: Any) -> Any:
        name = str(self.resolve(argument))
        if name == "AWS::NoValue":
            return NO_VALUE
        if name in self.parameters:
            return self.resolve(self.parameters[name])
        if name in self.resources:
            return name
        return "${" + name + "}"  # a pseudo parameter or a parameter without a default

    def _get_att(self, argument: Any) -> Any:
        parts = self.resolve(argument)
        if isinstance(parts, str):
            parts = parts.split(".", 1)
        return str(parts[0]) if parts else ""

    def _sub(self, argument: Any) -> Any:
        if isinstance(argument, list):
            text = self.resolve(argument[0])
            variables = self.resolve(argument[1]) if len(argument) > 1 else {}
        else:
            text, variables = self.resolve(argument), {}

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name and name.split(".", 1)[0] in self.resources:
                return name.split(".", 1)[0]
            value = self._ref(name)
            return value if isinstance(value, str) else str(value)

        return _SUB_VARIABLE.sub(replace, str(text)).replace("${!", "${")

    def _join(self, argument: Any) -> Any:
        delimiter, items = self.resolve(argument)
        return str(delimiter).join(str(i) for i in as_list(items))

    def _select(self, argument: Any) -> Any:
        index, items = self.resolve(argument)
        items = as_list(items)
        position = int(index)
        return items[position] if 0 <= position < len(items) else ""

    def _split(self, argument: Any) -> Any:
        delimiter, text = self.resolve(argument)
        return str(text).split(str(delimiter))

    def _find_in_map(self, argument: Any) -> Any:
        name, top, second = (str(v) for v in self.resolve(argument)[:3])
        try:
            return self.resolve(self.mappings[name][top][second])
        except (KeyError, TypeError):
            return "${" + f"{name}.{top}.{second}" + "}"

    def _if(self, argument: Any) -> Any:
        name, when_true, when_false = argument
        return self.resolve(when_true if self.condition(str(name)) else when_false)

    def condition(self, name: str) -> bool:
        """A named condition, evaluated with parameter defaults; unknown values count as true."""
        if name not in self.conditions or name in self._evaluating:
            return True
        self._evaluating.add(name)
        try:
            return bool(self.resolve(self.conditions[name]))
        finally:
            self._evaluating.discard(name)

    def _equals(self, argument: Any) -> Any:
        left, right = self.resolve(argument)
        if _unresolved(left) or _unresolved(right):
            return True
        return str(left) == str(right)

    def _and(self, argument: Any) -> Any:
        return all(bool(v) for v in self.resolve(argument))

    def _or(self, argument: Any) -> Any:
        return any(bool(v) for v in self.resolve(argument))

    def _not(self, argument: Any) -> Any:
        values = as_list(self.resolve(argument))
        return not bool(values[0]) if values else True

    def _condition(self, argument: Any) -> Any:
        return self.condition(str(argument))

    def _base64(self, argument: Any) -> Any:
        return base64.b64encode(str(self.resolve(argument)).encode()).decode()

    def _cidr(self, argument: Any) -> Any:
        block, count, bits = self.resolve(argument)
        try:
            network = ipaddress.ip_network(str(block), strict=False)
            prefix = network.max_prefixlen - int(bits)
            subnets = network.subnets(new_prefix=prefix)
            return [str(next(subnets)) for _ in range(int(count))]
        except (ValueError, StopIteration):
            return []

    def _get_azs(self, argument: Any) -> Any:
        region = self.resolve(argument) or "${AWS::Region}"
        return [f"{region}{zone}" for zone in "abc"]

    def _import_value(self, argument: Any) -> Any:
        return "${Import:" + str(self.resolve(argument)) + "}"

    _FUNCTIONS: ClassVar[dict[str, Callable[[Template, Any], Any]]] = {
        "Ref": _ref,
        "Fn::GetAtt": _get_att,
        "Fn::Sub": _sub,
        "Fn::Join": _join,
        "Fn::Select": _select,
        "Fn::Split": _split,
        "Fn::FindInMap": _find_in_map,
        "Fn::If": _if,
        "Fn::Equals": _equals,
        "Fn::And": _and,
        "Fn::Or": _or,
        "Fn::Not": _not,
        "Condition": _condition,
        "Fn::Base64": _base64,
        "Fn::Cidr": _cidr,
        "Fn::GetAZs": _get_azs,
        "Fn::ImportValue": _import_value,
    }

    # -- properties with lines --------------------------------------------------------------
    def convert(self, node: Any, lines: dict[str, int], path: list[str | int]) -> Any:
        """Resolved node with API field names; lines[field path] = line in the template."""
        if isinstance(node, dict) and not (
            len(node) == 1 and str(next(iter(node))) in self._FUNCTIONS
        ):
            result: dict[str, Any] = {}
            for key, value in node.items():
                name = api_name(str(key))
                line = key_line(node, key)
                if line is not None:
                    lines[field_path([*path, name])] = line
                converted = self.convert(value, lines, [*path, name])
                if converted is not NO_VALUE:
                    result[name] = converted
            return result
        if isinstance(node, list):
            items: list[Any] = []
            for index, value in enumerate(node):
                line = item_line(node, index)
                if line is not None:
                    lines[field_path([*path, len(items)])] = line
                converted = self.convert(value, lines, [*path, len(items)])
                if converted is not NO_VALUE:
                    items.append(converted)
            return items
        return self.resolve(node)


def _unresolved(value: object) -> bool:
    return isinstance(value, str) and value.startswith("${")


def read_template(tree: Any, source: Path | str) -> Graph:
    template = Template(tree, source)
    graph = Graph()
    standalone: list[tuple[Direction, str, dict[str, Any], int | None]] = []
    for logical_id, body in template.resources.items():
        if not isinstance(body, dict):
            continue
        if "Condition" in body and not template.condition(str(body["Condition"])):
            continue
        kind_name = str(body.get("Type", ""))
        raw_properties = body.get("Properties") or {}
        lines: dict[str, int] = {}
        line = key_line(template.resources, logical_id) or node_line(body)
        try:
            properties = template.convert(raw_properties, lines, [])
        except (ValueError, TypeError, IndexError, KeyError, AttributeError) as e:
            raise ConfigError(
                Problem(
                    f"cannot evaluate the properties of {logical_id}: {e!r}",
                    file=source,
                    line=line,
                    field=f"Resources.{logical_id}.Properties",
                ),
                hint="check the arguments of the intrinsic functions (!Select, !If, !Join, …)",
            ) from e
        if not isinstance(properties, dict):
            raise ConfigError(
                Problem(
                    "expected a mapping of property names to values",
                    file=source,
                    line=line,
                    field=f"Resources.{logical_id}.Properties",
                )
            )
        name = str(logical_id)
        if kind_name == "AWS::EC2::SecurityGroup":
            group = graph.add(Resource(Kind.security_group, name, template.source, line))
            group.properties = properties
            group.lines = lines
            group.permissions = security_group_permissions(properties, lines, template.source)
            if "egress" not in properties:
                # Without SecurityGroupEgress, EC2 adds its default rule: all traffic out.
                group.permissions.append(
                    Permission.make(
                        "egress",
                        "-1",
                        None,
                        None,
                        "0.0.0.0/0",
                        peer=DEFAULT_EGRESS,
                        source=template.source,
                        line=line,
                    )
                )
        elif kind_name in ("AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"):
            direction: Direction = "ingress" if kind_name.endswith("Ingress") else "egress"
            standalone.append(
                (direction, name, properties, lines.get("cidrIp") or lines.get("cidrIpv6") or line)
            )
        elif kind_name in _RESOURCE_KINDS:
            resource = graph.add(
                Resource(_RESOURCE_KINDS[kind_name], name, template.source, line, properties, lines)
            )
            if isinstance(properties.get("name"), str):
                resource.aliases.add(properties["name"])
            if kind_name == "AWS::ImageBuilder::ContainerRecipe":
                devices = resource.get("instanceConfiguration", "blockDeviceMappings")
                if devices is not None:
                    resource.properties["blockDeviceMappings"] = devices
            if isinstance(properties.get("data"), str):
                resource.documents.append(properties["data"])
    for direction, name, properties, line in standalone:
        # A rule resource attached to a group of this template, or to one declared elsewhere.
        group_id = str(properties.get("groupId") or properties.get("groupName"))
        group = graph.find(Kind.security_group, group_id) or graph.add(
            Resource(Kind.security_group, group_id, template.source, line)
        )
        group.aliases.add(name)
        group.permissions.extend(_permissions(direction, properties, template.source, line))
    return graph


def security_group_permissions(
    properties: dict[str, Any], lines: dict[str, int], source: str
) -> list[Permission]:
    permissions: list[Permission] = []
    directions: tuple[Direction, ...] = ("ingress", "egress")
    for direction in directions:
        for index, entry in enumerate(as_list(properties.get(direction))):
            if isinstance(entry, dict):
                line = lines.get(field_path([direction, index]))
                permissions.extend(_permissions(direction, entry, source, line))
    return permissions


_PEER_FIELDS = (
    "sourceSecurityGroupId",
    "sourceSecurityGroupName",
    "destinationSecurityGroupId",
    "sourcePrefixListId",
    "destinationPrefixListId",
)


def _permissions(
    direction: Direction, entry: dict[str, Any], source: str, line: int | None
) -> list[Permission]:
    peers: list[tuple[str | None, str | None]] = []
    for key in ("cidrIp", "cidrIpv6"):
        if isinstance(entry.get(key), str):
            peers.append((entry[key], None))
    for key in _PEER_FIELDS:
        if entry.get(key):
            peers.append((None, str(entry[key])))
    if not peers:
        return []
    return [
        Permission.make(
            direction,
            entry.get("ipProtocol", "-1"),
            entry.get("fromPort"),
            entry.get("toPort"),
            cidr,
            peer=peer,
            source=source,
            line=line,
        )
        for cidr, peer in peers
    ]

"""The normalised resource graph that every lint input is read into.

Whatever the input form (imagewright YAML, CloudFormation, AWS CLI JSON), each resource carries
Image Builder's API field names (camelCase) in `properties`, the file and line it came from, and
the names it can be referred to by, so that references between files and resources resolve.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from imagewright.config.yamlload import field_path


class Kind(enum.StrEnum):
    security_group = "security-group"
    infrastructure = "infrastructure"
    distribution = "distribution"
    recipe = "recipe"
    pipeline = "pipeline"
    component = "component"
    image = "image"  # launch permissions of an existing image (describe-image-attribute)


ALL_PORTS = (0, 65535)
DEFAULT_EGRESS = "the default egress rule"  # peer of the rule EC2 adds when none is declared
_PROTOCOLS = {"-1": "all", "all": "all", "6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6"}


Direction = Literal["ingress", "egress"]


@dataclass(frozen=True, slots=True)
class Permission:
    """One security group rule for one peer (a CIDR, another group or a prefix list)."""

    direction: Direction
    protocol: str  # all, tcp, udp, icmp, icmpv6 or a protocol number
    from_port: int
    to_port: int
    cidr: str | None  # None when the peer is a security group or prefix list
    peer: str | None = None
    source: str = ""
    line: int | None = None

    @staticmethod
    def make(
        direction: Direction,
        protocol: object,
        from_port: object,
        to_port: object,
        cidr: str | None,
        *,
        peer: str | None = None,
        source: str = "",
        line: int | None = None,
    ) -> Permission:
        name = _PROTOCOLS.get(str(protocol).lower(), str(protocol).lower())
        low, high = as_int(from_port), as_int(to_port)
        if name == "all" or low is None or high is None or low < 0 or high < 0:
            low, high = ALL_PORTS
        return Permission(direction, name, low, high, cidr, peer, source, line)

    @property
    def all_traffic(self) -> bool:
        """Every protocol, or every TCP/UDP port (ICMP's -1 means all ICMP types, not ports)."""
        if self.protocol == "all":
            return True
        return self.protocol in ("tcp", "udp") and (self.from_port, self.to_port) == ALL_PORTS

    def covers(self, port: int) -> bool:
        return self.protocol in ("all", "tcp", "udp") and self.from_port <= port <= self.to_port

    def describe(self) -> str:
        ports = "all ports" if self.all_traffic else f"{self.protocol} {self.from_port}"
        if not self.all_traffic and self.to_port != self.from_port:
            ports += f"-{self.to_port}"
        way = "from" if self.direction == "ingress" else "to"
        return f"{self.direction} {ports} {way} {self.cidr or self.peer}"


@dataclass(slots=True)
class Resource:
    kind: Kind
    name: str  # what findings call it: logical ID, name, ARN or group ID
    source: str  # the file it was read from
    line: int | None
    properties: dict[str, Any] = field(default_factory=dict)  # Image Builder API field names
    lines: dict[str, int] = field(default_factory=dict)  # field path → 1-based line
    aliases: set[str] = field(default_factory=set)  # every name it can be referred to by
    permissions: list[Permission] = field(default_factory=list)  # security groups only
    documents: list[str] = field(default_factory=list)  # component document texts it runs

    def get(self, *path: str | int) -> Any:
        node: Any = self.properties
        for key in path:
            if isinstance(key, int):
                node = node[key] if isinstance(node, list) and 0 <= key < len(node) else None
            else:
                node = node.get(key) if isinstance(node, dict) else None
            if node is None:
                return None
        return node

    def line_at(self, *path: str | int) -> int | None:
        """The line of the deepest part of path that the source file showed."""
        parts = list(path)
        while parts:
            found = self.lines.get(field_path(parts))
            if found is not None:
                return found
            parts.pop()
        return self.line


@dataclass(slots=True)
class Graph:
    resources: list[Resource] = field(default_factory=list)

    def add(self, resource: Resource) -> Resource:
        resource.aliases.add(resource.name)
        self.resources.append(resource)
        return resource

    def of_kind(self, kind: Kind) -> Iterator[Resource]:
        return (r for r in self.resources if r.kind is kind)

    def find(self, kind: Kind, reference: object) -> Resource | None:
        """The resource a reference (logical ID, ARN, name or ID) points at, if it was read."""
        if not isinstance(reference, str):
            return None
        for resource in self.of_kind(kind):
            if reference in resource.aliases:
                return resource
        name = arn_resource_name(reference)
        if name is not None:
            return next((r for r in self.of_kind(kind) if name in r.aliases), None)
        return None

    def merge(self, other: Graph) -> None:
        self.resources.extend(other.resources)


_ARN_NAME = re.compile(r"^arn:aws[^:]*:imagebuilder:[^:]*:[^:]*:[a-z-]+/([^/]+)")


def arn_resource_name(reference: str) -> str | None:
    """The resource name inside an Image Builder ARN (arn:…:image-recipe/NAME/1.0.0)."""
    match = _ARN_NAME.match(reference)
    return match.group(1) if match else None


def as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def as_bool(value: object) -> bool | None:
    """CloudFormation writes booleans as true, "true" or "True"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def as_list(value: object) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]

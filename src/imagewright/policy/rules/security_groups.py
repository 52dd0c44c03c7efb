"""Security groups attached to build and test instances (best practice: no overly permissive
groups). A rule open to the world is reported once, by the most specific rule that fits."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from imagewright.findings import Severity
from imagewright.policy import Hit, LintContext, rule
from imagewright.policy.graph import DEFAULT_EGRESS, Kind, Permission, Resource, as_list

WORLD = ("0.0.0.0/0", "::/0")
SSH, RDP = 22, 3389
# Security Hub EC2.19 plus prowler's per-service checks, without SSH and RDP (their own rules).
HIGH_RISK_PORTS = (
    20,
    21,
    23,
    25,
    110,
    135,
    143,
    445,
    1433,
    1434,
    1521,
    2483,
    3000,
    3306,
    4333,
    5000,
    5432,
    5500,
    5601,
    6379,
    7199,
    8080,
    8088,
    8888,
    9092,
    9160,
    9200,
    9300,
    11211,
    27017,
    27018,
)
AUTHORIZED_PORTS = (80, 443)  # Security Hub EC2.18's default authorizedTcpPorts


def _users(ctx: LintContext, group: Resource) -> str:
    """ ", used by X" naming the infrastructure configurations that attach the group."""
    names = [
        infra.name
        for infra in ctx.graph.of_kind(Kind.infrastructure)
        if any(
            ctx.graph.find(Kind.security_group, g) is group
            for g in as_list(infra.get("securityGroupIds"))
        )
    ]
    return f" (used by {', '.join(names)})" if names else ""


def _world_ingress(ctx: LintContext) -> Iterator[tuple[Resource, Permission]]:
    for group in ctx.graph.of_kind(Kind.security_group):
        for permission in group.permissions:
            if permission.direction == "ingress" and permission.cidr in WORLD:
                yield group, permission


def _hit(ctx: LintContext, group: Resource, permission: Permission, what: str) -> Hit:
    return Hit(
        group,
        f"security group {group.name}{_users(ctx, group)} allows {what} from {permission.cidr}",
        line=permission.line,
        evidence=permission.describe(),
    )


@rule(
    "sg-ingress-all-traffic",
    Severity.critical,
    summary="Ingress from 0.0.0.0/0 or ::/0 on all protocols or all ports",
    rationale="A build instance reachable on every port from the Internet can be taken over "
    "while the image is being made, and whatever is planted ends up in every instance.",
    remediation="Remove the rule; build instances need no inbound access (use Session Manager), "
    "or allow only the ports and source ranges you need.",
    equivalents={
        "image-builder": "BP1",
        "security-hub": "EC2.18",
        "checkov": "CKV_AWS_277",
        "prowler": "ec2_securitygroup_allow_ingress_from_internet_to_all_ports",
        "cfn-nag": "W2, W42",
    },
)
def ingress_all_traffic(ctx: LintContext) -> Iterator[Hit]:
    for group, permission in _world_ingress(ctx):
        if permission.all_traffic:
            yield _hit(ctx, group, permission, "all traffic")


def _port_rule(port: int, ctx: LintContext, label: str) -> Iterator[Hit]:
    for group, permission in _world_ingress(ctx):
        if not permission.all_traffic and permission.covers(port):
            yield _hit(ctx, group, permission, label)


@rule(
    "sg-ingress-ssh",
    Severity.high,
    summary="Ingress from 0.0.0.0/0 or ::/0 to SSH (22)",
    rationale="SSH open to the Internet exposes the build instance to password and key guessing.",
    remediation="Allow port 22 only from a bastion or VPN range, or use Session Manager.",
    equivalents={
        "image-builder": "BP1",
        "security-hub": "EC2.13",
        "checkov": "CKV_AWS_24",
        "prowler": "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
        "trivy": "AVD-AWS-0107",
        "cfn-nag": "W2",
    },
)
def ingress_ssh(ctx: LintContext) -> Iterator[Hit]:
    return _port_rule(SSH, ctx, "SSH (22)")


@rule(
    "sg-ingress-rdp",
    Severity.high,
    summary="Ingress from 0.0.0.0/0 or ::/0 to RDP (3389)",
    rationale="RDP open to the Internet exposes the build instance to credential attacks.",
    remediation="Allow port 3389 only from a bastion or VPN range, or use Session Manager.",
    equivalents={
        "image-builder": "BP1",
        "security-hub": "EC2.14",
        "checkov": "CKV_AWS_25",
        "prowler": "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389",
        "trivy": "AVD-AWS-0107",
        "cfn-nag": "W2",
    },
)
def ingress_rdp(ctx: LintContext) -> Iterator[Hit]:
    return _port_rule(RDP, ctx, "RDP (3389)")


@rule(
    "sg-ingress-high-risk-port",
    Severity.high,
    summary="Ingress from 0.0.0.0/0 or ::/0 to a high-risk port (databases, FTP, Telnet, SMB, …)",
    rationale="Services on these ports are routinely scanned for and attacked from the Internet.",
    remediation="Remove the rule or restrict its source to the networks that need the service.",
    equivalents={
        "image-builder": "BP1",
        "security-hub": "EC2.19",
        "prowler": "ec2_securitygroup_allow_ingress_from_internet_to_high_risk_tcp_ports",
        "cfn-nag": "W2",
    },
)
def ingress_high_risk_port(ctx: LintContext) -> Iterator[Hit]:
    for group, permission in _world_ingress(ctx):
        if permission.all_traffic:
            continue
        ports = [p for p in HIGH_RISK_PORTS if permission.covers(p)]
        if ports:
            shown = ", ".join(str(p) for p in ports[:6]) + (" …" if len(ports) > 6 else "")
            yield _hit(ctx, group, permission, f"high-risk port(s) {shown}")


@rule(
    "sg-ingress-open-port",
    Severity.medium,
    summary="Ingress from 0.0.0.0/0 or ::/0 to any other port than 80 and 443",
    rationale="A build instance needs no service reachable from the Internet.",
    remediation="Remove the rule or restrict its source range.",
    equivalents={
        "image-builder": "BP1",
        "security-hub": "EC2.18",
        "prowler": "ec2_securitygroup_allow_ingress_from_internet_to_any_port",
        "cfn-nag": "W2",
    },
)
def ingress_open_port(ctx: LintContext) -> Iterator[Hit]:
    for group, permission in _world_ingress(ctx):
        if permission.all_traffic or permission.protocol not in ("tcp", "udp"):
            continue
        named = (SSH, RDP, *HIGH_RISK_PORTS)
        if any(permission.covers(p) for p in named):
            continue
        if all(
            port in AUTHORIZED_PORTS for port in range(permission.from_port, permission.to_port + 1)
        ):
            continue
        yield _hit(
            ctx,
            group,
            permission,
            f"{permission.protocol} {permission.from_port}-{permission.to_port}",
        )


def _broad(cidr: str) -> str | None:
    """Why a (non-world) source range is too broad, or None."""
    try:
        network = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None
    if network.prefixlen == 0:
        return None
    if network.version == 4 and network.is_private and network.prefixlen < 16:
        return f"private range /{network.prefixlen} (wider than /16)"
    if network.version == 4 and not network.is_private and network.prefixlen < 24:
        return f"public range /{network.prefixlen} (wider than /24)"
    if network.version == 6 and network.prefixlen < 48:
        return f"IPv6 range /{network.prefixlen} (wider than /48)"
    return None


@rule(
    "sg-ingress-broad-range",
    Severity.medium,
    summary="Ingress from an overly broad range (private wider than /16, public wider than /24)",
    rationale="A whole 10.0.0.0/8 or a large public block is nearly as open as the Internet: "
    "every workload in it can reach the build instance.",
    remediation="Narrow the source to the subnets that need access, or reference a security "
    "group instead of a range.",
    equivalents={
        "image-builder": "BP1",
        "prowler": "ec2_securitygroup_allow_wide_open_public_ipv4",
        "cfn-nag": "W9",
    },
)
def ingress_broad_range(ctx: LintContext) -> Iterator[Hit]:
    for group in ctx.graph.of_kind(Kind.security_group):
        for permission in group.permissions:
            if permission.direction != "ingress" or permission.cidr is None:
                continue
            why = _broad(permission.cidr)
            if why:
                yield Hit(
                    group,
                    f"security group {group.name}{_users(ctx, group)} allows ingress from a {why}",
                    line=permission.line,
                    evidence=permission.describe(),
                )


@rule(
    "sg-egress-unrestricted",
    Severity.low,
    summary="Egress to 0.0.0.0/0 or ::/0 on all traffic",
    rationale="Unrestricted egress lets anything running during the build send data anywhere.",
    remediation="Allow only the egress the build needs (HTTPS to package mirrors, S3, SSM).",
    equivalents={
        "image-builder": "BP1",
        "checkov": "CKV_AWS_382",
        "trivy": "AVD-AWS-0104",
        "cfn-nag": "W5, W40, F1000",
    },
)
def egress_unrestricted(ctx: LintContext) -> Iterator[Hit]:
    for group in ctx.graph.of_kind(Kind.security_group):
        for permission in group.permissions:
            if (
                permission.direction == "egress"
                and permission.cidr in WORLD
                and permission.all_traffic
            ):
                implicit = permission.peer == DEFAULT_EGRESS
                yield Hit(
                    group,
                    f"security group {group.name} allows all egress to {permission.cidr}"
                    + (" (no SecurityGroupEgress: the default rule applies)" if implicit else ""),
                    line=permission.line,
                    evidence=permission.describe(),
                )

"""imagewright lint FILE…: best-practice rules over image configurations."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from imagewright.cli import CliVerb
from imagewright.cli._common import check_output, write_output

if TYPE_CHECKING:
    from imagewright.policy.policyfile import Policy

SEVERITIES = ("info", "low", "medium", "high", "critical")


def add_policy_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--policy",
        type=Path,
        help="policy file (YAML): trusted accounts, public images, threshold, suppressions",
    )
    parser.add_argument(
        "--trusted-accounts",
        default="",
        metavar="ID,…",
        help="AWS account IDs images may be shared with (added to the policy's)",
    )
    parser.add_argument(
        "--severity",
        choices=SEVERITIES,
        help="fail on findings at or above this severity (default: the policy's, else high)",
    )
    parser.add_argument(
        "--scan-report",
        type=Path,
        metavar="FILE",
        help="the image's scan report (imagewright scan --format json)",
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="imagewright YAML, CloudFormation templates (YAML/JSON) or AWS CLI JSON",
    )
    add_policy_arguments(parser)
    parser.add_argument(
        "--format", default="table", help="table, json, sarif or html (default: table)"
    )
    parser.add_argument("--output", type=Path, metavar="FILE", help="write the report here")
    parser.add_argument("--list-rules", action="store_true", help="list the rules and exit")


def policy_from(args: argparse.Namespace) -> Policy:
    from imagewright.policy.policyfile import Policy, load_policy, parse_accounts

    policy = load_policy(args.policy) if args.policy else Policy()
    accounts = parse_accounts(args.trusted_accounts)
    return policy.with_trusted_accounts(accounts) if accounts else policy


def handle(args: argparse.Namespace) -> int:
    from imagewright.errors import ConfigError
    from imagewright.findings import Severity
    from imagewright.pipeline.distribute import read_scan_report
    from imagewright.policy.engine import blocking, lint
    from imagewright.reports import FORMATS, render

    if args.list_rules:
        return _list_rules()
    if not args.files:
        raise ConfigError("lint: give at least one FILE", hint="see 'imagewright lint --help'")
    if args.format not in FORMATS:
        raise ConfigError(
            f"--format: unknown format '{args.format}'; known: {', '.join(FORMATS.names())}"
        )
    check_output(args.output, "--output")
    policy = policy_from(args)
    scan = read_scan_report(args.scan_report) if args.scan_report else None
    report = lint(args.files, policy, scan)
    text = render(report, args.format)
    if args.output:
        write_output(args.output, text, "--output")
    else:
        sys.stdout.write(text)
    threshold = Severity(args.severity) if args.severity else None
    return 1 if blocking(report, policy, threshold) else 0


def _list_rules() -> int:
    from imagewright.policy.rules import RULES

    for rule in RULES:
        equivalents = ", ".join(f"{tool} {ids}" for tool, ids in rule.equivalents.items())
        print(f"{rule.name:32} {rule.severity.value:9} {rule.summary}")
        if equivalents:
            print(f"{'':42} equivalents: {equivalents}")
    return 0


VERB = CliVerb(
    "lint",
    "check image configurations against Image Builder's security best practices",
    add_arguments,
    handle,
)

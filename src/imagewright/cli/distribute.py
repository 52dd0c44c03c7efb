"""imagewright distribute IMAGE --config dist.yml: gate an image, then deliver it."""

from __future__ import annotations

import argparse
from pathlib import Path

from imagewright.cli import CliVerb
from imagewright.cli.lint import add_policy_arguments, policy_from


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "image",
        type=Path,
        metavar="IMAGE",
        help="the image artifact (raw, qcow2, vmdk, vhd, tar) or a folder of its artifacts",
    )
    parser.add_argument(
        "--config", type=Path, required=True, metavar="FILE", help="distribution configuration"
    )
    parser.add_argument(
        "--name", help="the image's name at the targets (default: IMAGE's name without suffix)"
    )
    parser.add_argument(
        "--with",
        dest="configs",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="another configuration the gate checks (recipe, infrastructure, pipeline); repeatable",
    )
    add_policy_arguments(parser)


def handle(args: argparse.Namespace) -> int:
    from imagewright.errors import BadTargetError, ConfigError
    from imagewright.findings import Severity
    from imagewright.pipeline.distribute import distribute, read_scan_report

    if args.scan_report is None:
        raise ConfigError(
            "distribute needs the image's scan report (--scan-report FILE)",
            hint="imagewright scan IMAGE --format json --output FILE",
        )
    if args.image.is_dir():
        artifacts = sorted(p for p in args.image.iterdir() if p.is_file())
        name = args.name or args.image.name
    elif args.image.is_file():
        artifacts = [args.image]
        name = args.name or args.image.name.split(".", 1)[0]
    else:
        raise BadTargetError(f"{args.image}: no such image file or folder")
    record = distribute(
        artifacts,
        read_scan_report(args.scan_report),
        args.config,
        policy_from(args),
        image_name=name,
        configs=args.configs,
        threshold=Severity(args.severity) if args.severity else None,
    )
    for delivery in record.deliveries:
        shared = delivery.shared_with
        who = (
            "public"
            if shared.public
            else ", ".join([*shared.accounts, *shared.organizations, *shared.organizational_units])
            or "nobody else"
        )
        print(f"{record.image}: {delivery.location} (shared with: {who})")
    return 0


VERB = CliVerb(
    "distribute",
    "gate an image by the best practices, then copy it to its distribution targets",
    add_arguments,
    handle,
)

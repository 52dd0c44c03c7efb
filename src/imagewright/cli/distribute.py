"""imagewright distribute IMAGE --config dist.yml: gate an image, then deliver it."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from imagewright.cli import CliVerb
from imagewright.cli._common import add_state_dir, open_catalog
from imagewright.cli.lint import add_policy_arguments, policy_from

if TYPE_CHECKING:
    from imagewright.pipeline.distribute import DistributionRecord


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "image",
        metavar="IMAGE",
        help="a catalog image NAME:VERSION, an image file (raw, qcow2, vmdk, vhd, tar) or a "
        "folder of its artifacts",
    )
    parser.add_argument(
        "--config", type=Path, required=True, metavar="FILE", help="distribution configuration"
    )
    parser.add_argument(
        "--name", help="the image's name at the targets (default: NAME-x.y.z-build, or the file's)"
    )
    parser.add_argument(
        "--with",
        dest="configs",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="another configuration the gate checks (recipe, infrastructure, pipeline); "
        "a catalog image's recipe is checked without it; repeatable",
    )
    add_policy_arguments(parser)
    add_state_dir(parser)


def handle(args: argparse.Namespace) -> int:
    from imagewright.errors import ConfigError
    from imagewright.findings import Severity
    from imagewright.pipeline.distribute import distribute, read_scan_report

    if args.scan_report is None:
        raise ConfigError(
            "distribute needs the image's scan report (--scan-report FILE)",
            hint="imagewright scan ROOT --format json --output FILE",
        )
    scan = read_scan_report(args.scan_report)
    threshold = Severity(args.severity) if args.severity else None
    path = Path(args.image)
    if path.exists():
        artifacts = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        record = distribute(
            artifacts,
            scan,
            args.config,
            policy_from(args),
            image_name=args.name or path.name.split(".", 1)[0],
            configs=args.configs,
            threshold=threshold,
        )
    else:
        from imagewright.pipeline.catalog import ImageStatus
        from imagewright.pipeline.distribute import distribute_catalog_image

        with open_catalog(args) as catalog:
            record = distribute_catalog_image(
                catalog,
                catalog.find(args.image, status=ImageStatus.available),
                scan,
                args.config,
                policy_from(args),
                configs=args.configs,
                threshold=threshold,
                image_name=args.name,
            )
    _print(record)
    return 0


def _print(record: DistributionRecord) -> None:
    for delivery in record.deliveries:
        shared = delivery.shared_with
        principals = [*shared.accounts, *shared.organizations, *shared.organizational_units]
        who = "public" if shared.public else ", ".join(principals) or "nobody else"
        print(f"{record.image}: {delivery.location} (shared with: {who})")


VERB = CliVerb(
    "distribute",
    "gate an image by the best practices, then copy it to its distribution targets",
    add_arguments,
    handle,
)

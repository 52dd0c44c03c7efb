"""imagewright scan: secrets, deleted data, hygiene, configuration and patches of an image."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from imagewright.cli import CliVerb
from imagewright.cli._common import add_state_dir, check_output, write_output

log = logging.getLogger(__name__)

FORMATS = ("table", "json", "sarif", "html")
SEVERITIES = ("info", "low", "medium", "high", "critical")
PARTS = ("secrets", "deleted-data", "hygiene", "patches")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target",
        metavar="TARGET",
        help="a folder holding a root file system, a raw, qcow2 or tar image, or a catalog "
        "image NAME:VERSION",
    )
    parser.add_argument("--format", choices=FORMATS, default="table", help="report format")
    parser.add_argument("--output", type=Path, help="write the report to this file")
    parser.add_argument(
        "--severity",
        choices=SEVERITIES,
        default="medium",
        help="exit 1 when a finding is at or above this severity (default: medium)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="PART",
        help=f"leave out a part of the scan: {', '.join(PARTS)} (repeat or comma-separate)",
    )
    add_state_dir(parser)


def handle(args: argparse.Namespace) -> int:
    from imagewright.findings import Severity
    from imagewright.reports import render
    from imagewright.scan.engine import check_parts, exit_code, scan_image
    from imagewright.scan.targets import open_scan_target

    check_output(args.output, "--output")
    skip = check_parts([p.strip() for value in args.skip for p in value.split(",") if p.strip()])
    with open_scan_target(args.target, state_directory=args.state_dir) as target:
        result = scan_image(
            target.root,
            target=target.name,
            raw_disk=target.raw_disk,
            regions=target.regions,
            skip=skip,
        )
    for note in result.notes:
        log.warning("%s", note)
    log.info(
        "scanned %d files (%.1f MiB) and %.1f MiB of free space in %.2f s",
        result.files.files,
        result.files.bytes / 2**20,
        result.raw.bytes_scanned / 2**20,
        result.seconds,
    )
    text = render(result.report, args.format)
    if args.output:
        write_output(args.output, text, "--output")
    else:
        sys.stdout.write(text)
    return exit_code(result.report, Severity(args.severity))


VERB = CliVerb(
    "scan", "scan an image for secrets, leftovers, weak settings and patches", add_arguments, handle
)

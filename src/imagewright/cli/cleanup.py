"""`imagewright cleanup`: release what interrupted builds left behind."""

from __future__ import annotations

import argparse

from imagewright.cli import CliVerb
from imagewright.cli._common import add_state_dir, open_catalog, print_json


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_state_dir(parser)
    parser.add_argument("--json", action="store_true", help="JSON on stdout")


def handle(args: argparse.Namespace) -> int:
    from imagewright.pipeline.cleanup import release_stale

    with open_catalog(args) as catalog:
        report = release_stale(catalog)
    if args.json:
        print_json(report.as_dict())
    elif report.empty():
        print("nothing to clean up")
    else:
        for title, items in report.as_dict().items():
            for item in items:
                print(f"{title}: {item}")
    return 0


VERB = CliVerb(
    "cleanup",
    "mark interrupted builds failed and release their mounts, loop devices and work folders",
    add_arguments,
    handle,
)

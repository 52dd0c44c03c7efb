"""`imagewright build RECIPE`: the whole pipeline, from a recipe to a tested, sanitized,
versioned image in the catalog."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from imagewright.cli import CliVerb
from imagewright.cli._common import add_state_dir


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recipe", type=Path, help="the image recipe (YAML)")
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        help="where the artifacts, tests.xml and logs go (default: the state folder's "
        "images/NAME/VERSION/BUILD)",
    )
    add_state_dir(parser)
    parser.add_argument(
        "--json-events", action="store_true", help="one JSON object per progress event on stdout"
    )
    parser.add_argument(
        "--policy",
        type=Path,
        help="policy file for the distribution gate: trusted accounts, public images, threshold",
    )
    parser.add_argument(
        "--trusted-accounts",
        default="",
        metavar="ID,…",
        help="AWS account IDs the image may be shared with (added to the policy's)",
    )
    parser.add_argument(
        "--keep-work", action="store_true", help="keep the work folder (disks) for inspection"
    )


def _emit(line: str) -> None:
    print(line, flush=True)


def handle(args: argparse.Namespace) -> int:
    from imagewright.cli.lint import policy_from
    from imagewright.pipeline.build import build
    from imagewright.pipeline.events import Events

    result = build(
        args.recipe,
        state_directory=args.state_dir,
        output_dir=args.output_dir,
        events=Events(_emit if args.json_events else None),
        keep_work=args.keep_work,
        policy=policy_from(args),
    )
    if not args.json_events:
        record = result.record
        out = sys.stdout
        print(f"built {record.reference} ({record.status.value})", file=out)
        for artifact in record.artifacts:
            print(f"  {artifact.format:<6} {artifact.path}  sha256:{artifact.sha256}", file=out)
        print(f"  scan   {result.scan}", file=out)
        if result.junit is not None:
            print(f"  tests  {result.junit}", file=out)
        print(f"  logs   {result.log_dir}", file=out)
    return 0


VERB = CliVerb("build", "build an image from a recipe (the whole pipeline)", add_arguments, handle)

"""`imagewright images list|show|delete`: the catalog of built images."""

from __future__ import annotations

import argparse
import time

from imagewright.cli import CliVerb
from imagewright.cli._common import add_state_dir, open_catalog, print_json, print_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="list images (all builds)")
    listing.add_argument("--name", help="only this image")
    listing.add_argument("--json", action="store_true", help="JSON on stdout")
    show = sub.add_parser("show", help="one image with its recipe, artifacts and logs")
    show.add_argument("reference", help="NAME:VERSION (x.y.z/n; without /n: the latest build)")
    show.add_argument("--json", action="store_true", help="JSON on stdout")
    delete = sub.add_parser("delete", help="remove an image build and its artifacts")
    delete.add_argument("reference", help="NAME:x.y.z/n (a full build version)")
    delete.add_argument("--keep-files", action="store_true", help="remove the catalog entry only")
    deprecate = sub.add_parser("deprecate", help="mark an image build deprecated")
    deprecate.add_argument("reference", help="NAME:x.y.z/n")
    for subparser in (listing, show, delete, deprecate):
        add_state_dir(subparser)


def handle(args: argparse.Namespace) -> int:
    from imagewright.pipeline import images

    with open_catalog(args) as catalog:
        if args.action == "list":
            records = catalog.images(args.name)
            if args.json:
                print_json([r.as_dict() for r in records])
            else:
                rows = [
                    [r.name, str(r.version), r.status.value,
                     time.strftime("%Y-%m-%d %H:%M", time.localtime(r.created_at)),
                     ", ".join(a.format for a in r.artifacts), str(r.output_dir or "")]
                    for r in records
                ]  # fmt: skip
                print_table(
                    f"Images in {catalog.path}",
                    ["name", "version", "status", "created", "artifacts", "output"],
                    rows,
                )
            return 0
        record = catalog.find(args.reference)
        if args.action == "show":
            if args.json:
                print_json(record.as_dict())
            else:
                print(images.describe(record))
            return 0
        if args.action == "deprecate":
            images.deprecate(catalog, args.reference)
            print(f"{record.reference} is deprecated")
            return 0
        removed = images.delete(catalog, args.reference, keep_files=args.keep_files)
        print(f"deleted {record.reference}" + (f" and {len(removed)} files" if removed else ""))
        return 0


VERB = CliVerb("images", "list, show and delete built images in the catalog", add_arguments, handle)

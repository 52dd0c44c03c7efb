"""`imagewright components create|list|show`: the local component store."""

from __future__ import annotations

import argparse
from pathlib import Path

from imagewright.cli import CliVerb
from imagewright.cli._common import add_state_dir, open_catalog, print_json, print_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="validate a document and store it as a new version")
    create.add_argument("--data", type=Path, required=True, help="the AWSTOE document (YAML)")
    create.add_argument("--semantic-version", required=True, help="x.y.z")
    create.add_argument("--name", help="default: the document's name")
    create.add_argument("--platform", default="Linux", help="Linux (default), Windows or macOS")
    create.add_argument("--description", help="default: the document's description")
    create.add_argument("--change-description", help="what changed in this version")
    create.add_argument("--json", action="store_true", help="JSON on stdout")
    listing = sub.add_parser("list", help="list stored components and versions")
    listing.add_argument("--name", help="only this component")
    listing.add_argument("--json", action="store_true", help="JSON on stdout")
    show = sub.add_parser("show", help="one component version with its document")
    show.add_argument(
        "reference", help="NAME[:VERSION] (x.y.z, x.y.z/n or wildcards; default: the latest)"
    )
    show.add_argument("--json", action="store_true", help="JSON on stdout")
    for subparser in (create, listing, show):
        add_state_dir(subparser)


def handle(args: argparse.Namespace) -> int:
    from imagewright.pipeline.components import create_component

    with open_catalog(args) as catalog:
        if args.action == "create":
            stored = create_component(
                catalog,
                args.data,
                semantic_version=args.semantic_version,
                name=args.name,
                platform=args.platform,
                description=args.description,
                change_description=args.change_description,
            )
            if args.json:
                print_json(stored.as_dict())
            else:
                print(f"created {stored.name} {stored.version} ({stored.type})")
            return 0
        if args.action == "list":
            components = catalog.components(args.name)
            if args.json:
                print_json([c.as_dict() for c in components])
            else:
                print_table(
                    f"Components in {catalog.path}",
                    ["name", "version", "type", "platform", "description"],
                    [[c.name, str(c.version), c.type, c.platform, c.description or ""]
                     for c in components],
                )  # fmt: skip
            return 0
        name, _, version = args.reference.partition(":")
        stored = catalog.find_component(name, version or "x.x.x")
        if args.json:
            print_json(stored.as_dict(with_document=True))
        else:
            print(f"# {stored.name} {stored.version} ({stored.type}, {stored.platform})")
            print(stored.document, end="" if stored.document.endswith("\n") else "\n")
        return 0


VERB = CliVerb(
    "components", "create, list and show versioned components in the store", add_arguments, handle
)

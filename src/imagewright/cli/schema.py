"""`imagewright schema NAME`: the JSON Schema of a configuration file, for editors."""

from __future__ import annotations

import argparse
import importlib
import json
from typing import Any

from imagewright.cli import CliVerb

# name -> "module:function" returning the schema; imported only when asked for.
SCHEMAS = {
    "recipe": "imagewright.config.recipe:recipe_schema",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", choices=sorted(SCHEMAS), help="which file's schema to print")


def handle(args: argparse.Namespace) -> int:
    module_name, _, function_name = SCHEMAS[args.name].partition(":")
    schema: dict[str, Any] = getattr(importlib.import_module(module_name), function_name)()
    print(json.dumps(schema, indent=2, sort_keys=True))
    return 0


VERB = CliVerb("schema", "print the JSON Schema of a configuration file", add_arguments, handle)

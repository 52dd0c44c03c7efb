"""Command line entry point. The only place that prints and turns errors into exit codes.

Each verb is one module in this package that defines `VERB = CliVerb(...)`. Verb modules import
only argparse-level code at the top and the heavy machinery inside `handle`, so `--help` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import NoReturn

from imagewright import __version__
from imagewright.errors import ConfigError, ImagewrightError, Interrupted


@dataclass(frozen=True, slots=True)
class CliVerb:
    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    handle: Callable[[argparse.Namespace], int]


def _verbs() -> list[CliVerb]:
    verbs: list[CliVerb] = []
    for info in pkgutil.iter_modules(__path__, prefix=f"{__name__}."):
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        module = importlib.import_module(info.name)
        verb = getattr(module, "VERB", None)
        if isinstance(verb, CliVerb):
            verbs.append(verb)
    return sorted(verbs, key=lambda v: v.name)


class UsageError(ConfigError):
    """A command line that argparse rejected."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message}", hint=f"see '{self.prog} --help'")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="imagewright",
        description="Build Linux machine images locally the EC2 Image Builder way, with its "
        "security practices enforced.",
    )
    parser.add_argument("--version", action="version", version=f"imagewright {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="show debug output")
    parser.add_argument("-q", "--quiet", action="store_true", help="only show warnings and errors")
    sub = parser.add_subparsers(dest="verb", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for verb in _verbs():
        verb_parser = sub.add_parser(verb.name, help=verb.help, description=verb.help)
        verb.add_arguments(verb_parser)
        verb_parser.set_defaults(handle=verb.handle)
    return parser


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise Interrupted("terminated by SIGTERM")


def print_error(error: ImagewrightError) -> None:
    for line in str(error).splitlines() or ["error"]:
        print(f"imagewright: error: {line}", file=sys.stderr)
    if error.hint:
        print(f"imagewright: hint: {error.hint}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    from imagewright.log import setup_logging

    signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        args = build_parser().parse_args(argv)
        setup_logging(args.verbose, quiet=args.quiet)
        handle: Callable[[argparse.Namespace], int] = args.handle
        return handle(args)
    except ImagewrightError as error:
        print_error(error)
        return error.exit_code
    except KeyboardInterrupt:
        print("imagewright: interrupted", file=sys.stderr)
        return 130

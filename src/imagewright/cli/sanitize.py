"""`imagewright sanitize TARGET`: the mandatory clean-up, verified."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from imagewright.cli import CliVerb
from imagewright.cli._common import check_output, write_output
from imagewright.errors import ConfigError

if TYPE_CHECKING:
    from imagewright.sanitize.engine import Progress

PROFILES = ("ec2-image-builder", "extended")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "target",
        nargs="?",
        type=Path,
        metavar="TARGET",
        help="a directory tree, a raw disk image, a qcow2 image or a tar archive",
    )
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        default="ec2-image-builder",
        help="ec2-image-builder: exactly Image Builder's clean-up script (default); extended: "
        "also virt-sysprep's defaults, cloud-init clean, users' histories and credentials",
    )
    parser.add_argument(
        "--working-directory",
        default="/tmp",
        metavar="DIR",
        help="Image Builder's {{workingDirectory}} inside the image: TOE_* log folders and "
        "skip_cleanup_* markers live there (default: /tmp)",
    )
    parser.add_argument(
        "--enable",
        action="append",
        default=[],
        metavar="OP",
        help="also run this operation (repeatable, or comma-separated)",
    )
    parser.add_argument(
        "--disable",
        action="append",
        default=[],
        metavar="OP",
        help="do not run this operation (repeatable, or comma-separated)",
    )
    parser.add_argument(
        "--list-operations",
        action="store_true",
        help="list every operation with the profiles it belongs to, and exit",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="list what would be removed; change nothing"
    )
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="write the report as JSON to FILE ('-': stdout)"
    )
    parser.add_argument(
        "--passes",
        type=int,
        default=3,
        metavar="N",
        help="random overwrite passes before the final zero pass (default: 3, as shred)",
    )
    parser.add_argument(
        "--no-wipe-free-space",
        dest="wipe_free_space",
        action="store_false",
        help="disk images: do not overwrite the file systems' free blocks",
    )
    parser.add_argument(
        "--no-residue-check",
        dest="residue_check",
        action="store_false",
        help="disk images: do not scan the raw image for content of removed files",
    )
    parser.add_argument(
        "--user-data-override",
        action="store_true",
        help="the recipe overrides user data: Image Builder then skips its clean-up unless "
        "{{workingDirectory}}/perform_cleanup exists in the image",
    )


def _names(values: list[str]) -> tuple[str, ...]:
    return tuple(name.strip() for value in values for name in value.split(",") if name.strip())


def list_operations() -> None:
    from imagewright.sanitize import OPERATIONS, Profile

    rows = [
        (
            op.name,
            ",".join(p.value for p in Profile if p in op.profiles),
            op.skip_marker or "-",
            op.removes,
        )
        for op in sorted(OPERATIONS, key=lambda op: (op.order, op.name))
    ]
    header = ("OPERATION", "PROFILES", "SKIP MARKER", "REMOVES")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]
    for row in [header, *rows]:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False))
            + "  "
            + row[3]
        )


@contextmanager
def _progress_bar() -> Iterator[Progress | None]:
    """A progress bar over the operations on a terminal (stderr); nothing otherwise."""
    from imagewright.log import stderr_is_terminal

    if not stderr_is_terminal():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress as Bar

    # "Deleting X" lines stay on stdout; only when it is the terminal too do they go through
    # the bar's console, so they are printed above the bar instead of through it.
    console = Console(stderr=True)
    with Bar(console=console, transient=True, redirect_stdout=sys.stdout.isatty()) as bar:
        task = bar.add_task("sanitizing", total=None)

        def advance(name: str, index: int, total: int) -> None:
            bar.update(task, description=name, completed=index, total=total)

        yield advance


def handle(args: argparse.Namespace) -> int:
    if args.list_operations:
        list_operations()
        return 0
    if args.target is None:
        raise ConfigError("TARGET is required", hint="see 'imagewright sanitize --help'")
    if args.passes < 0:
        raise ConfigError(f"--passes must be 0 or more, got {args.passes}")
    check_output(args.json, "--json")

    from imagewright.sanitize.engine import SanitizeFailed, SanitizeReport
    from imagewright.sanitize.image import sanitize_image

    def say(line: str) -> None:
        print(line, flush=True)

    report: SanitizeReport | None = None
    try:
        with _progress_bar() as on_progress:
            report = sanitize_image(
                args.target,
                profile=args.profile,
                enable=_names(args.enable),
                disable=_names(args.disable),
                working_directory=args.working_directory,
                wipe_free_space=args.wipe_free_space,
                residue_check=args.residue_check,
                dry_run=args.dry_run,
                passes=args.passes,
                user_data_override=args.user_data_override,
                on_line=say,
                on_progress=on_progress,
            )
    except SanitizeFailed as failed:
        report = failed.report
        raise
    finally:
        if report is not None and args.json is not None:
            if str(args.json) == "-":
                sys.stdout.write(report.to_json() + "\n")
            else:
                write_output(args.json, report.to_json() + "\n", "--json")
    return 0


VERB = CliVerb(
    name="sanitize",
    help="remove instance data, keys, logs and histories from an image, securely, and prove it",
    add_arguments=add_arguments,
    handle=handle,
)

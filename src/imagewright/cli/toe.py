"""`imagewright toe validate|run`: AWSTOE component documents, validated and run like awstoe."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path
from typing import Any

from imagewright.cli import CliVerb
from imagewright.errors import ConfigError, Problem


def add_arguments(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(
        dest="toe_command", metavar="COMMAND", parser_class=type(parser)
    )
    commands.required = True

    validate = commands.add_parser(
        "validate",
        help="check component documents without running anything",
        description="Check component documents: fields, action inputs, expressions. "
        "Exit 0 when valid, 1 when not.",
    )
    validate.add_argument("-d", "--documents", required=True, help="comma-separated files")
    validate.add_argument(
        "--os-platform",
        "--os-platforms",
        choices=("linux", "windows", "darwin", "macos"),
        default="linux",
        help="validate action modules for this platform (default linux)",
    )
    validate.add_argument("--json", action="store_true", help="print the result as JSON")
    validate.set_defaults(toe_handle=_validate)

    run = commands.add_parser(
        "run",
        help="run component documents on this host or in an image root",
        description="Run component documents like awstoe: prints awstoe's JSON summary and "
        "writes a TOE_<date>_<time>_UTC-0_<id> log folder. Exit 0 on success (also with "
        "ignored failures), 1 when a step failed, 2 for bad documents or options.",
    )
    run.add_argument("-d", "--documents", help="comma-separated files")
    run.add_argument("-c", "--config", type=Path, help="awstoe's JSON run configuration")
    run.add_argument("-p", "--phases", help="comma-separated phases to run (default all)")
    run.add_argument("--parameters", help="name=value,name2=value2")
    run.add_argument("-i", "--execution-id", help="default: a new UUID")
    run.add_argument("-l", "--log-directory", type=Path, help="default: the current directory")
    run.add_argument("-s", "--state-directory", type=Path, help="reboot-and-resume state")
    run.add_argument(
        "--variables-file",
        type=Path,
        help="YAML/JSON map of values only AWS knows, e.g. 'aws:ssm:/app/key: value'",
    )
    run.add_argument(
        "--target",
        type=Path,
        help="run inside this image (a directory, raw or qcow2 disk image, or tar archive; "
        "chrooted, private mounts) instead of on this host",
    )
    run.add_argument(
        "--reboot",
        choices=("simulate", "exit", "host"),
        default="simulate",
        help="on a reboot request: simulate it (default), save and exit 194, or really "
        "reboot this host",
    )
    run.set_defaults(toe_handle=_run)


def handle(args: argparse.Namespace) -> int:
    code: int = args.toe_handle(args)
    return code


def split_list(text: str | None) -> list[str]:
    return [item.strip() for item in (text or "").split(",") if item.strip()]


def parse_parameters(text: str) -> dict[str, str]:
    """`name=value,name2=value2`; an empty value is an error (awstoe.md §1.2)."""
    parameters: dict[str, str] = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or value == "":
            raise ConfigError(
                Problem(
                    f"'{item}' is not name=value with a non-empty value",
                    field="--parameters",
                )
            )
        parameters[name.strip()] = value
    return parameters


def _validate(args: argparse.Namespace) -> int:
    from imagewright.toe.actions import Platform
    from imagewright.toe.document import load

    platform = (
        Platform.macos if args.os_platform in ("darwin", "macos") else Platform(args.os_platform)
    )
    documents = split_list(args.documents)
    if not documents:
        raise ConfigError(Problem("no documents to validate", field="--documents"))
    results: list[dict[str, Any]] = []
    for path in map(Path, documents):
        try:
            load(path, platform=platform)
            results.append({"document": str(path), "validationStatus": "success", "problems": []})
        except ConfigError as error:
            results.append(
                {
                    "document": str(path),
                    "validationStatus": "failed",
                    "problems": [_problem_json(p) for p in error.problems],
                }
            )
    valid = all(r["validationStatus"] == "success" for r in results)
    if args.json:
        status = "success" if valid else "failed"
        print(json.dumps({"validationStatus": status, "documents": results}, indent=2))
    else:
        for result in results:
            if result["validationStatus"] == "success":
                print(f"{result['document']}: valid")
            for problem in result["problems"]:
                print(problem["text"], file=sys.stderr)
    return 0 if valid else 1


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "file": str(problem.file) if problem.file is not None else None,
        "line": problem.line,
        "column": problem.column,
        "field": problem.field,
        "message": problem.message,
        "suggestion": problem.suggestion,
        "text": str(problem),
    }


def _run(args: argparse.Namespace) -> int:
    from imagewright.toe.runner import Execution, RebootPending, saved_run

    with contextlib.ExitStack() as stack:
        options, documents = _options(args, stack)
        saved = saved_run(options.state_directory) if options.state_directory else None
        if saved is not None:
            execution = Execution.resume(saved, options)
        else:
            if not documents:
                raise ConfigError(
                    "no documents to run", hint="pass --documents FILE or --config FILE"
                )
            execution = Execution.start(documents, options)
        try:
            summary = execution.run()
        except RebootPending as pending:
            print(json.dumps(pending.summary.as_json(), indent=2))
            raise
    print(json.dumps(summary.as_json(), indent=2))
    return 0 if summary.succeeded else 1


def _options(args: argparse.Namespace, stack: contextlib.ExitStack) -> tuple[Any, list[Path]]:
    from imagewright.executors.host import HostExecutor
    from imagewright.toe.runner import RebootMode, RunOptions

    config = _read_config(args.config) if args.config else {}
    if args.documents and "documents" in config:
        raise ConfigError("documents are given both with --documents and in --config")
    if args.parameters and "parameters" in config:
        raise ConfigError("parameters are given both with --parameters and in --config")
    documents = [Path(p) for p in split_list(args.documents)]
    per_document: list[dict[str, str]] | None = None
    if "documents" in config:
        documents = [Path(d["path"]) for d in config["documents"]]
        per_document = [_pairs(d.get("parameters", [])) for d in config["documents"]]
    parameters = parse_parameters(args.parameters) if args.parameters else {}
    if "parameters" in config:
        parameters = _pairs(config["parameters"])
    phases_text = args.phases if args.phases is not None else config.get("phases")
    executor: Any
    if args.target is not None:
        from imagewright.executors.chroot import ChrootExecutor
        from imagewright.images.target import open_target

        # A directory is used in place; disk images and archives are opened (and written back).
        opened = stack.enter_context(open_target(args.target, writable=True))
        executor = ChrootExecutor(opened.root.root)
    else:
        executor = HostExecutor()
    log_directory = _folder(
        args.log_directory or Path(config.get("logDirectory", ".")), "--log-directory"
    )
    state_directory = args.state_directory or (
        Path(config["stateDirectory"]) if config.get("stateDirectory") else None
    )
    options = RunOptions(
        executor=executor,
        log_directory=log_directory,
        phases=split_list(phases_text) if phases_text is not None else None,
        parameters=parameters,
        document_parameters=per_document,
        execution_id=args.execution_id or config.get("executionId"),
        state_directory=_folder(state_directory, "--state-directory") if state_directory else None,
        variables=_read_variables(args.variables_file) if args.variables_file else {},
        reboot=RebootMode(args.reboot),
        resume_command=[sys.executable, "-m", "imagewright", "toe", "run"],
    )
    return options, documents


def _folder(path: Path, option: str) -> Path:
    """A folder option: it may not exist yet, but it may not be something else."""
    if path.exists() and not path.is_dir():
        raise ConfigError(Problem("is not a folder", file=path, field=option))
    return path


def _pairs(items: Any) -> dict[str, str]:
    return {str(item["name"]): str(item["value"]) for item in items}


def _read_config(path: Path) -> dict[str, Any]:
    """awstoe's --config JSON (awstoe.md §4.3), checked with file:line problems."""
    from imagewright.config.yamlload import read_yaml, validate
    from imagewright.toe.runconfig import RunConfig

    config = validate(RunConfig, read_yaml(path), path)
    config.warn_ignored()
    data: dict[str, Any] = config.model_dump(by_alias=True, exclude_none=True)
    return data


def _read_variables(path: Path) -> dict[str, str]:
    from imagewright.config.yamlload import plain, read_yaml

    tree = plain(read_yaml(path))
    if not isinstance(tree, dict):
        raise ConfigError(Problem("expected a mapping of references to values", file=path))
    return {
        str(k).strip().removeprefix("{{").removesuffix("}}").strip(): str(v)
        for k, v in tree.items()
    }


VERB = CliVerb(
    name="toe",
    help="validate and run AWSTOE component documents",
    add_arguments=add_arguments,
    handle=handle,
)

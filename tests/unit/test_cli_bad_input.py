"""Bad input on every verb: a clear message naming the file (and line), the documented exit
code, and never a traceback."""

from __future__ import annotations

import copy
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from imagewright.cli import main

SCRIPT = Path(sys.executable).with_name("imagewright")

DOCUMENT = """\
name: demo-component
schemaVersion: 1.0
phases:
  - name: build
    steps:
      - name: hello
        action: ExecuteBash
        inputs:
          commands: ["true"]
"""


def cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str]:
    """Exit code and stderr of one in-process run; a traceback fails the test."""
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def cli_stdout(capsys: pytest.CaptureFixture[str], *argv: object) -> str:
    """Stdout of an in-process run that must succeed."""
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out


def script(*argv: object, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The installed console script, for exit codes and stderr as a user sees them."""
    done = subprocess.run(
        [str(SCRIPT), *map(str, argv)], capture_output=True, text=True, timeout=timeout
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.fixture
def hang_guard() -> Iterator[None]:
    """Fails the test instead of hanging when a verb blocks reading its input."""

    def expired(signum: int, frame: FrameType | None) -> None:
        raise TimeoutError("the command blocked reading its input")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(30)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe.yml"
    os.mkfifo(path)
    return path


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "component.yml"
    path.write_text(DOCUMENT)
    return path


# -- files that are not files -------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "code"),
    [
        (["lint", "{bad}"], 2),
        (["build", "{bad}"], 2),
        (["toe", "validate", "-d", "{bad}"], 1),
        (["toe", "run", "-d", "{bad}"], 2),
        (["toe", "run", "-c", "{bad}"], 2),
        (["lint", "{document}", "--policy", "{bad}"], 2),
        (["lint", "{document}", "--scan-report", "{bad}"], 2),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else str(value),
)
def test_a_fifo_or_device_is_refused_not_read_forever(
    argv: list[str],
    code: int,
    fifo: Path,
    document: Path,
    hang_guard: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for bad in (fifo, Path("/dev/zero")):
        got, err = cli(capsys, *(a.format(bad=bad, document=document) for a in argv))
        assert got == code, err
        assert f"{bad}: is a FIFO, socket or device" in err


def test_the_console_script_refuses_a_fifo(fifo: Path) -> None:
    done = script("lint", fifo, timeout=30)
    assert done.returncode == 2
    assert done.stderr.startswith(f"imagewright: error: {fifo}: is a FIFO")


@pytest.mark.parametrize(
    "argv",
    [["lint", "{bad}"], ["build", "{bad}"], ["toe", "run", "-d", "{bad}"]],
    ids=" ".join,
)
def test_a_folder_or_undecodable_file_names_the_file(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    garbage = tmp_path / "garbage.yml"
    garbage.write_bytes(b"\x00\x01\xff\xfe" + os.urandom(64))
    for bad, message in ((tmp_path, "is a folder"), (garbage, "is not UTF-8 text")):
        code, err = cli(capsys, *(a.format(bad=bad) for a in argv))
        assert code == 2
        assert f"{bad}: {message}" in err


# -- report destinations --------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["scan", "{tree}", "--output", "{out}"],
        ["sanitize", "{tree}", "--dry-run", "--json", "{out}"],
        ["lint", "{document}", "--output", "{out}"],
    ],
    ids=lambda argv: argv[0],
)
def test_a_report_destination_that_cannot_be_written_is_named(
    argv: list[str], tmp_path: Path, document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = tmp_path / "tree"
    (tree / "etc").mkdir(parents=True)
    (tree / "etc" / "hostname").write_text("demo\n")
    for out, message in (
        (tmp_path, "is a folder"),
        (tmp_path / "missing" / "report", "its parent is not an existing folder"),
        (document / "report", "its parent is not an existing folder"),
    ):
        code, err = cli(capsys, *(a.format(tree=tree, out=out, document=document) for a in argv))
        assert code == 2, err
        assert f"{out}: {argv[-2]}: {message}" in err
    assert sorted(p.name for p in tree.rglob("*")) == ["etc", "hostname"]


# -- recipes and components -----------------------------------------------------------------

RECIPE = """\
name: demo-image
semanticVersion: 1.0.0
parentImage: debian:12
components:
  - path: component.yml
"""


def recipe(tmp_path: Path, text: str, document: Path) -> Path:
    assert document.parent == tmp_path
    path = tmp_path / "recipe.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("version", ["1073741824.0.0", "1.99999999999999999999999.0"])
def test_a_version_beyond_image_builders_limit_is_refused(
    version: str, tmp_path: Path, document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    path = recipe(tmp_path, RECIPE.replace("1.0.0", version), document)
    code, err = cli(capsys, "build", path, "--state-dir", state)
    assert code == 2
    assert f"{path}:2:1: semanticVersion:" in err
    assert "at most 1073741823" in err
    code, err = cli(capsys, "components", "create", "--data", document, "--semantic-version",
                    version, "--state-dir", state)  # fmt: skip
    assert code == 2
    assert "each 0 to 1073741823" in err
    assert json.loads(cli_stdout(capsys, "images", "list", "--state-dir", state, "--json")) == []
    assert (
        json.loads(cli_stdout(capsys, "components", "list", "--state-dir", state, "--json")) == []
    )


def _build_fails_before_recording(
    capsys: pytest.CaptureFixture[str], path: Path, *options: object
) -> str:
    state = path.parent / "state"
    code, err = cli(capsys, "build", path, "--state-dir", state, *options)
    assert code == 2, err
    assert json.loads(cli_stdout(capsys, "images", "list", "--state-dir", state, "--json")) == []
    return err


def test_build_refuses_an_output_folder_that_cannot_be_one(
    tmp_path: Path, document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = recipe(tmp_path, RECIPE, document)
    for output in (document, document / "nested", Path("/dev/null")):
        err = _build_fails_before_recording(capsys, path, "--output-dir", output)
        assert f"{output}: cannot be the output folder" in err


@pytest.mark.parametrize(
    ("parent", "message"),
    [
        ("ami-0123456789abcdef0", "is an AWS image"),
        ("ssm:/aws/service/debian/12", "is an AWS image"),
        ("no-such-image.raw", "is neither a known base nor an existing file"),
        ("/dev/null", "is neither a directory nor an image file"),
        ("pipe.yml", "is neither a directory nor an image file"),
        ("truncated.img", "is not a disk image, qcow2 image or tar archive"),
        ("garbage.qcow2", "is not a disk image, qcow2 image or tar archive"),
    ],
)
def test_a_parent_image_that_cannot_be_used_is_named_at_its_line(
    parent: str,
    message: str,
    tmp_path: Path,
    document: Path,
    fifo: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with (tmp_path / "truncated.img").open("wb") as image:
        image.truncate(1 << 20)
    (tmp_path / "garbage.qcow2").write_bytes(b"QFJ\xfb" + os.urandom(4000))
    path = recipe(tmp_path, RECIPE.replace("debian:12", parent), document)
    err = _build_fails_before_recording(capsys, path)
    assert f"{path}:3:1: parentImage: " in err
    assert message in err


# -- toe --------------------------------------------------------------------------------------


@pytest.mark.parametrize("option", ["--log-directory", "--state-directory"])
def test_toe_run_folder_options_that_are_files_are_refused(
    option: str, tmp_path: Path, document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = cli(capsys, "toe", "run", "-d", document, option, document)
    assert code == 2
    assert f"{document}: {option}: is not a folder" in err
    assert not list(tmp_path.glob("TOE_*"))


@pytest.mark.parametrize("documents", ["", ",", " , "])
def test_toe_validate_without_documents_is_a_usage_error(
    documents: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = cli(capsys, "toe", "validate", "-d", documents)
    assert code == 2
    assert "--documents: no documents to validate" in err


# -- scan reports given to the gate -----------------------------------------------------------


@pytest.mark.parametrize(
    "text", ['{"documents": []}', "[]", '"findings"', '{"findings": {"a": 1}}', "{}"]
)
def test_json_that_is_not_a_scan_report_does_not_pass_the_gate(
    text: str, tmp_path: Path, document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "scan.json"
    report.write_text(text)
    config = tmp_path / "distribution.yml"
    config.write_text(
        "name: local\ndistributions:\n  - localExportConfiguration: {directory: out}\n"
    )
    image = tmp_path / "demo.raw"
    image.write_bytes(b"\0" * 4096)
    for argv in (
        ["lint", document, "--scan-report", report],
        ["distribute", image, "--config", config, "--scan-report", report],
    ):
        code, err = cli(capsys, *argv)
        assert code == 2, err
        assert f"{report}: not a scan report" in err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("timeout", ["99999999999999999999999", "2147483648", "0", "-2"])
def test_a_step_timeout_that_cannot_be_waited_for_is_a_document_error(
    timeout: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "timeout.yml"
    path.write_text(
        DOCUMENT.replace("        action:", f"        timeoutSeconds: {timeout}\n        action:")
    )
    code, err = cli(capsys, "toe", "validate", "-d", path)
    assert code == 1
    assert f"{path}:7:9: phases[0].steps[0].timeoutSeconds: must be a number of seconds" in err
    code, err = cli(capsys, "toe", "run", "-d", path, "--log-directory", tmp_path)
    assert code == 2
    assert "timeoutSeconds" in err
    assert not list(tmp_path.glob("TOE_*"))


# -- every file-reading verb against the same malformed files ---------------------------------

MALFORMED = {
    "missing": None,
    "empty": "",
    "syntax": "name: [unclosed\n  phases: {\n",
    "list": "- name: a\n- name: b\n",
    "scalar": "just a string\n",
    "tab": "name:\tdemo\n\tphases: []\n",
    "duplicate": "name: a\nname: b\n",
    "unicode": "名前: ☃\n\u202eevil: \U0001f4a5\n",
    "huge-number": "name: 1" + "0" * 400 + "\nsemanticVersion: 1e999\n",
}
# A line to name where YAML itself tells one.
LINES = {"syntax": 2, "tab": 1, "duplicate": 2}
# Inputs that are valid for a verb: an empty policy is the default policy; any mapping is a
# variables file.
VALID_FOR = {"lint --policy": {"empty"}, "toe run --variables-file": {"unicode", "huge-number"}}

FILE_VERBS: dict[str, tuple[list[str], int]] = {
    "toe validate": (["toe", "validate", "-d", "{file}"], 1),
    "toe run": (["toe", "run", "-d", "{file}", "-l", "{tmp}"], 2),
    "toe run --config": (["toe", "run", "-c", "{file}"], 2),
    "toe run --variables-file": (["toe", "run", "-d", "{document}", "--variables-file", "{file}",
                                  "-l", "{tmp}"], 2),
    "build": (["build", "{file}", "--state-dir", "{tmp}/state"], 2),
    "components create": (["components", "create", "--data", "{file}", "--semantic-version",
                           "1.0.0", "--state-dir", "{tmp}/state"], 2),
    "lint": (["lint", "{file}"], 2),
    "lint --policy": (["lint", "{document}", "--policy", "{file}"], 2),
    "lint --scan-report": (["lint", "{document}", "--scan-report", "{file}"], 2),
    "distribute --config": (["distribute", "{document}", "--config", "{file}", "--scan-report",
                             "{report}"], 2),
    "distribute --scan-report": (["distribute", "{document}", "--config", "{document}",
                                  "--scan-report", "{file}"], 2),
}  # fmt: skip


@pytest.mark.parametrize("verb", sorted(FILE_VERBS))
def test_every_verb_names_the_malformed_file(
    verb: str, tmp_path: Path, document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, expected = FILE_VERBS[verb]
    report = tmp_path / "scan.json"
    report.write_text('{"target": "demo", "findings": []}\n')
    for kind, text in MALFORMED.items():
        if kind in VALID_FOR.get(verb, ()):
            continue
        file = tmp_path / f"{kind}.yml"
        if text is not None:
            file.write_text(text)
        line = LINES.get(kind) if "scan-report" not in verb else None
        values = {"file": file, "tmp": tmp_path, "document": document, "report": report}
        code, err = cli(capsys, *(a.format(**values) for a in argv))
        assert code == expected, f"{kind}: {err}"
        assert f"{file}:{line}:" in err if line else f"{file}" in err, f"{kind}: {err}"
    assert not list(tmp_path.glob("TOE_*"))


# -- wrong values at every level of a recipe (hypothesis) -------------------------------------

# Every field and nested field of a recipe; its only component is missing, so whatever the
# mutation, the build stops in the preflight (exit 2) and never starts.
FULL_RECIPE: dict[str, Any] = {
    "name": "demo-image",
    "semanticVersion": "1.0.0",
    "description": "demo",
    "parentImage": "debian:12",
    "components": [{"path": "missing.yml", "parameters": [{"name": "p1", "value": ["v"]}]}],
    "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": 8, "iops": 3000}}],
    "workingDirectory": "/tmp",
    "additionalInstanceConfiguration": {"systemsManagerAgent": {"uninstallAfterBuild": True}},
    "tags": {"team": "platform"},
    "outputFormats": ["raw"],
    "fileSystem": "ext4",
    "bootMode": "bios",
    "sanitizeProfile": "ec2-image-builder",
    "tests": {"enabled": True, "boot": False, "bootTimeoutSeconds": 900},
}


def _locations(tree: Any, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [prefix] if prefix else []
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += _locations(value, (*prefix, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += _locations(value, (*prefix, index))
    return found


LOCATIONS = _locations(FULL_RECIPE)
WRONG_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.sampled_from(["x", "name", "☃", "ebs"]), st.integers(), max_size=2),
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(location=st.sampled_from(LOCATIONS), value=WRONG_VALUES, block_style=st.booleans())
def test_a_recipe_with_any_wrong_value_is_refused_in_the_preflight(
    location: tuple[str | int, ...],
    value: Any,
    block_style: bool,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tree = copy.deepcopy(FULL_RECIPE)
    node: Any = tree
    for key in location[:-1]:
        node = node[key]
    node[location[-1]] = value
    path = tmp_path / "recipe.yml"
    if block_style:
        yaml = YAML()
        yaml.default_flow_style = False
        with path.open("w") as out:
            yaml.dump(tree, out)
    else:
        path.write_text(json.dumps(tree))
    code, err = cli(capsys, "build", path, "--state-dir", tmp_path / "state")
    assert code == 2, err
    assert str(path) in err
    assert f"{path}:" in err, "every problem of a recipe names a line"


# -- conflicting and empty options ------------------------------------------------------------


def test_an_operation_both_enabled_and_disabled_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "machine-id").write_text("0123456789abcdef0123456789abcdef\n")
    code, err = cli(capsys, "sanitize", tmp_path, "--enable", "machine-id",
                    "--disable", "bash-history,machine-id")  # fmt: skip
    assert code == 2
    assert "--enable/--disable: machine-id: both enabled and disabled" in err
    assert (tmp_path / "etc" / "machine-id").read_text().startswith("0123")


def test_an_empty_component_name_is_refused_not_replaced(
    tmp_path: Path, document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "state"
    code, err = cli(capsys, "components", "create", "--data", document, "--semantic-version",
                    "1.0.0", "--name", "", "--state-dir", state)  # fmt: skip
    assert code == 2
    assert "name: '' is not a valid component name" in err
    assert (
        json.loads(cli_stdout(capsys, "components", "list", "--state-dir", state, "--json")) == []
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a\n- b\n", "{path}:1:1: expected a mapping"),
        (RECIPE + "tests: 5\n", "{path}:6:1: tests: expected a mapping"),
        (RECIPE + "workingDirectory: tmp\n", "{path}:6:1: workingDirectory: must be an absolute"),
    ],
)
def test_validation_messages_carry_no_library_internals(
    text: str, expected: str, tmp_path: Path, document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = recipe(tmp_path, text, document)
    code, err = cli(capsys, "build", path, "--state-dir", tmp_path / "state")
    assert code == 2
    assert expected.format(path=path) in err
    assert "Value error" not in err
    assert "instance of" not in err


# -- the state folder -------------------------------------------------------------------------

CATALOG_VERBS = [
    ["images", "list"],
    ["images", "show", "demo:1.0.0"],
    ["components", "list"],
    ["cleanup"],
    ["build", "{recipe}"],
]


@pytest.mark.parametrize("argv", CATALOG_VERBS, ids=" ".join)
def test_a_state_folder_or_catalog_that_cannot_be_used_is_named(
    argv: list[str], tmp_path: Path, document: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = recipe(tmp_path, RECIPE, document)
    garbage = tmp_path / "garbage-state"
    garbage.mkdir()
    (garbage / "catalog.db").write_bytes(b"SQLite format 3\0" + os.urandom(4000))
    folder = tmp_path / "folder-state"
    (folder / "catalog.db").mkdir(parents=True)
    for state, message in (
        (document, f"{document}: cannot create the state folder"),
        (garbage, f"{garbage / 'catalog.db'}: not a usable catalog"),
        (folder, f"{folder / 'catalog.db'}: not a usable catalog"),
    ):
        code, err = cli(capsys, *(a.format(recipe=path) for a in argv), "--state-dir", state)
        assert code == 2, err
        assert message in err


@pytest.mark.parametrize("properties", ["[1, 2]", "just text", "5"])
def test_a_template_resource_whose_properties_are_no_mapping_is_named_at_its_line(
    properties: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = tmp_path / "template.yml"
    template.write_text(
        'AWSTemplateFormatVersion: "2010-09-09"\nResources:\n  Recipe:\n'
        f"    Type: AWS::ImageBuilder::ImageRecipe\n    Properties: {properties}\n"
    )
    code, err = cli(capsys, "lint", template)
    assert code == 2
    assert f"{template}:3: Resources.Recipe.Properties: expected a mapping" in err

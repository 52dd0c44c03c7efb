"""Document loading: every problem at once, with file:line:column, field path and suggestions."""

from __future__ import annotations

from pathlib import Path

import pytest

from imagewright.errors import ConfigError
from imagewright.toe.actions import Platform
from imagewright.toe.document import check_text, load

GOOD = """\
name: Good
schemaVersion: 1.0
parameters:
  - Target:
      type: string
      default: /opt/app
constants:
  - Version:
      type: string
      value: 1.2
phases:
  - name: build
    steps:
      - name: Hello
        action: ExecuteBash
        inputs:
          commands: ["echo {{ Target }} {{ Version }}"]
      - name: Check
        action: Assert
        inputs:
          stringEquals: x
          value: '{{ build.Hello.outputs.stdout }}'
"""


def problems(text: str, platform: Platform | None = Platform.linux) -> list[str]:
    with pytest.raises(ConfigError) as error:
        check_text(text, "doc.yml", platform)
    return [str(p) for p in error.value.problems]


def test_a_good_document_loads_and_numbers_become_text() -> None:
    document = check_text(GOOD, "doc.yml", Platform.linux)
    assert document.constant_values() == {"Version": "1.2"}
    assert document.parameter_defaults() == {"Target": "/opt/app"}
    assert document.phases[0].steps[0].timeout == 7200


def test_json_documents_load(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text(
        '{"schemaVersion": "1.0", "phases": [{"name": "build", "steps": '
        '[{"name": "A", "action": "ExecuteBash", "inputs": {"commands": ["true"]}}]}]}'
    )
    assert load(path).document.phases[0].steps[0].name == "A"


def test_every_problem_is_reported_with_position_and_suggestion() -> None:
    text = GOOD.replace("action: ExecuteBash", "action: ExecuteBsh").replace(
        "stringEquals: x", "stringEqual: x"
    )
    text = text.replace("      - name: Check\n", "      - name: Check\n        timeoutSecond: 5\n")
    found = problems(text)
    assert any(
        p.startswith("doc.yml:15:9: phases[0].steps[0].action: unknown action module")
        and "did you mean 'ExecuteBash'" in p
        for p in found
    ), found
    assert any("timeoutSecond" in p and "did you mean 'timeoutSeconds'" in p for p in found), found
    assert any("stringEqual" in p and "did you mean 'stringEquals'" in p for p in found), found


def test_inputs_are_validated_with_the_actions_model() -> None:
    text = GOOD.replace("commands: [", "command: [")
    found = problems(text)
    assert any("inputs.command" in p and "did you mean 'commands'" in p for p in found), found
    assert any("inputs.commands: required input of ExecuteBash" in p for p in found), found
    text = GOOD.replace('commands: ["echo {{ Target }} {{ Version }}"]', "- commands: [true]")
    assert any("takes a mapping as inputs, not a list" in p for p in problems(text))


def test_list_shaped_inputs_are_validated_per_item() -> None:
    text = """\
schemaVersion: 1.0
phases:
  - name: build
    steps:
      - name: Reb
        action: ExecuteDocument
        timeoutSeconds: 60
        maxAttempts: 2
        inputs:
          document: other.yml
          parameters:
            - name: A
              valu: b
"""
    found = problems(text)
    assert any("inputs.parameters[0].valu" in p for p in found), found
    assert any("timeoutSeconds: ExecuteDocument runs without a timeout" in p for p in found)
    assert any("maxAttempts: ExecuteDocument runs exactly once" in p for p in found)


def test_undeclared_and_forward_references_are_errors() -> None:
    text = GOOD.replace("{{ Target }}", "{{ Targte }}").replace(
        "build.Hello.outputs.stdout", "build.Later.outputs.stdout"
    )
    found = problems(text)
    assert any("'Targte' is not a declared parameter" in p and "'Target'" in p for p in found)
    assert any("'build.Later' is not a step that runs before this one" in p for p in found)
    found = problems(GOOD.replace("{{ Target }}", "{{ a b }}"))
    assert any("cannot read expression" in p for p in found), found
    found = problems(GOOD.replace("{{ Target }}", "{{ aws:imds:iam/info }}"))
    assert any("holds credentials" in p for p in found), found


def test_loop_rules() -> None:
    base = GOOD.replace(
        "        action: ExecuteBash\n",
        "        action: ExecuteBash\n        loop:\n          name: item\n"
        "          for: {start: 1, end: 5, updateBy: -1}\n",
        1,
    )
    assert any("never ends" in p for p in problems(base))
    assert any(
        "updateBy must not be 0" in p for p in problems(base.replace("updateBy: -1", "updateBy: 0"))
    )
    each = base.replace(
        "for: {start: 1, end: 5, updateBy: -1}", "forEach: {list: 'a,b', delimiter: '|'}"
    )
    assert any("delimiter must be one of" in p for p in problems(each))
    huge = base.replace("end: 5, updateBy: -1", "end: 100000000, updateBy: 1")
    assert any("more than 10000 iterations" in p for p in problems(huge))
    named = base.replace("updateBy: -1", "updateBy: 1").replace("{{ Target }}", "{{ other.value }}")
    assert any("'other' is not the name of this step's loop" in p for p in problems(named))
    ok = base.replace("updateBy: -1", "updateBy: 1").replace(
        "{{ Target }}", "{{ item.value }} {{ loop.index }}"
    )
    check_text(ok, "doc.yml", Platform.linux)


def test_names_and_structure() -> None:
    text = GOOD.replace("name: Hello", "name: Hello World").replace("- Target:", "- T:")
    found = problems(text)
    assert any("phases[0].steps[0].name" in p for p in found), found
    assert any("3-128 characters" in p for p in found), found
    found = problems(
        GOOD.replace("name: build", "name: setup").replace(
            "schemaVersion: 1.0", "schemaVersion: 2.0"
        )
    )
    assert any("at least one phase must be build, validate or test" in p for p in found)
    assert any("unsupported schemaVersion" in p for p in found)
    found = problems(GOOD.replace("name: Check", "name: Hello"))
    assert any("step 'Hello' appears twice" in p for p in found)
    assert problems("[1, 2]") == [
        "doc.yml:1:1: a component document must be a mapping with schemaVersion and phases"
    ]


def test_if_rules() -> None:
    text = GOOD.replace(
        "        action: Assert\n",
        "        action: Assert\n        if:\n          and:\n            - fileExists: /x\n"
        "            - or: [{not: {binaryExists: y}}]\n          then: Run\n",
    )
    found = problems(text)
    assert any("then must be one of Execute, Skip, Abort" in p for p in found), found
    deep = {"not": {"not": {"not": {"not": {"not": {"fileExists": "/x"}}}}}}
    from imagewright.toe import conditions

    assert any("nest deeper" in p.message for p in conditions.check(deep))


def test_windows_modules_validate_only_for_windows() -> None:
    text = GOOD.replace("action: ExecuteBash", "action: Reboot").replace(
        '        inputs:\n          commands: ["echo {{ Target }} {{ Version }}"]\n', ""
    )
    check_text(text, "doc.yml", Platform.windows)
    bash_on_windows = problems(GOOD, Platform.windows)
    assert any("ExecuteBash is not supported on windows" in p for p in bash_on_windows)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="document not found"):
        load(tmp_path / "absent.yml")


@pytest.mark.parametrize(
    "module",
    ["imagewright.toe.document", "imagewright.toe.runner", "imagewright.toe.actions.execute"],
)
def test_modules_import_in_any_order(module: str) -> None:
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", f"import {module}"], check=True)

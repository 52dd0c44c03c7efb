from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from imagewright.cli import main
from imagewright.config.recipe import GIB, OutputFormat, load_recipe
from imagewright.errors import ConfigError

MINIMAL = """\
name: demo-image
semanticVersion: 1.2.3
parentImage: debian:12
components:
  - path: components/a.yml
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipe.yml"
    path.write_text(text)
    return path


def test_minimal_recipe_takes_image_builder_defaults(tmp_path: Path) -> None:
    recipe, _ = load_recipe(write(tmp_path, MINIMAL))
    assert recipe.working_directory == "/tmp"
    assert recipe.output_formats == [OutputFormat.raw]
    assert recipe.sanitize_profile == "ec2-image-builder"
    assert recipe.root_size_bytes() == 4 * GIB
    assert recipe.tests.enabled and not recipe.tests.boot


def test_full_recipe(tmp_path: Path) -> None:
    user_data = base64.b64encode(b"#!/bin/sh\ntouch /tmp/perform_cleanup\n").decode()
    text = (
        MINIMAL
        + f"""\
  - name: stored
    version: 1.x.x
    parameters: [{{name: Greeting, value: [hello]}}]
  - componentArn: arn:aws:imagebuilder:eu-west-1:123456789012:component/other/2.0.0/1
blockDeviceMappings:
  - deviceName: /dev/xvdb
    ebs: {{volumeSize: 9}}
  - deviceName: /dev/xvda
    ebs: {{volumeSize: 2, volumeType: gp3, encrypted: true}}
workingDirectory: /var/build
additionalInstanceConfiguration:
  userDataOverride: {user_data}
outputFormats: [qcow2, vmdk, qcow2]
fileSystem: xfs
bootMode: uefi
tests: {{boot: true, bootTimeoutSeconds: 300}}
tags: {{team: platform}}
"""
    )
    recipe, _ = load_recipe(write(tmp_path, text))
    assert recipe.root_size_bytes() == 2 * GIB
    assert recipe.output_formats == [OutputFormat.qcow2, OutputFormat.vmdk]
    assert recipe.components[1].store_name_and_version() == ("stored", "1.x.x")
    assert recipe.components[1].parameter_values() == {"Greeting": "hello"}
    assert recipe.components[2].store_name_and_version() == ("other", "2.0.0/1")
    assert recipe.additional_instance_configuration is not None
    assert b"perform_cleanup" in (recipe.additional_instance_configuration.user_data() or b"")


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("bootMode: bois\n", "recipe.yml:6:1: bootMode: Input should be 'bios' or 'uefi'"),
        ("workDirectory: /x\n", "(did you mean 'workingDirectory'?)"),
        ("workingDirectory: tmp\n", "workingDirectory: must be an absolute path"),
        ("outputFormats: [iso]\n", "outputFormats[0]: Input should be"),
        (
            "additionalInstanceConfiguration: {userDataOverride: '***'}\n",
            "must be base64-encoded",
        ),
    ],
)
def test_errors_name_line_and_field(tmp_path: Path, extra: str, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_recipe(write(tmp_path, MINIMAL + extra))
    assert expected in str(caught.value)


def test_component_needs_exactly_one_source(tmp_path: Path) -> None:
    text = MINIMAL.replace("  - path: components/a.yml", "  - path: a.yml\n    name: b")
    with pytest.raises(ConfigError, match=r"recipe.yml:5:5: components\[0\]: .*exactly one"):
        load_recipe(write(tmp_path, text))


def test_bad_version_and_arn(tmp_path: Path) -> None:
    text = MINIMAL.replace("1.2.3", "1.2").replace(
        "path: components/a.yml", "componentArn: arn:aws:imagebuilder:x:1:image/a/1.0.0"
    )
    with pytest.raises(ConfigError) as caught:
        load_recipe(write(tmp_path, text))
    message = str(caught.value)
    assert "recipe.yml:2:1: semanticVersion: String should match pattern" in message
    assert "is not a component ARN" in message


def test_schema_verb_prints_the_recipe_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "recipe"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert {"name", "semanticVersion", "parentImage", "components"} <= set(schema["required"])
    assert "blockDeviceMappings" in schema["properties"]

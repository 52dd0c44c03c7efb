from __future__ import annotations

from pathlib import Path

import pytest

from imagewright.config.recipe import load_recipe
from imagewright.errors import ConfigError
from imagewright.pipeline.build import materialize, resolve_components
from imagewright.pipeline.catalog import Catalog
from imagewright.pipeline.components import create_component

DOCUMENT = """\
name: greeter
schemaVersion: 1.0
phases:
  - name: build
    steps:
      - {name: Hello, action: ExecuteBash, inputs: {commands: [echo hello]}}
  - name: test
    steps:
      - {name: Check, action: ExecuteBash, inputs: {commands: ["true"]}}
"""


def test_local_and_stored_components_resolve(tmp_path: Path) -> None:
    (tmp_path / "local.yml").write_text(DOCUMENT)
    recipe_path = tmp_path / "recipe.yml"
    recipe_path.write_text(
        "name: demo\nsemanticVersion: 1.0.0\nparentImage: debian:12\ncomponents:\n"
        "  - path: local.yml\n"
        "  - name: greeter\n    version: 1.x.x\n"
        "    parameters: [{name: Who, value: [world]}]\n"
        "  - componentArn: arn:aws:imagebuilder:eu-west-1:123456789012:component/greeter/1.0.0/1\n"
    )
    recipe, tree = load_recipe(recipe_path)
    with Catalog(tmp_path / "state") as catalog:
        for version in ("1.0.0", "1.1.0", "2.0.0"):
            create_component(catalog, tmp_path / "local.yml", semantic_version=version)
        resolved = resolve_components(recipe, recipe_path, tree, catalog)
    assert [c.label for c in resolved] == ["local.yml", "greeter/1.1.0/1", "greeter/1.0.0/1"]
    assert resolved[1].parameters == {"Who": "world"}
    assert resolved[0].phases == {"build", "test"}
    ready = materialize(resolved, tmp_path / "work")
    assert ready[0].path == tmp_path / "local.yml"
    assert ready[1].path.read_text() == DOCUMENT
    assert ready[1].stored_text is None


def test_missing_and_invalid_components_name_the_recipe_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yml").write_text(DOCUMENT.replace("ExecuteBash", "ExecBash", 1))
    recipe_path = tmp_path / "recipe.yml"
    recipe_path.write_text(
        "name: demo\nsemanticVersion: 1.0.0\nparentImage: debian:12\ncomponents:\n"
        "  - path: missing.yml\n  - path: bad.yml\n  - name: nothing\n"
    )
    recipe, tree = load_recipe(recipe_path)
    with Catalog(tmp_path / "state") as catalog, pytest.raises(ConfigError) as caught:
        resolve_components(recipe, recipe_path, tree, catalog)
    message = str(caught.value)
    assert "recipe.yml:5:5: components[0].path: component document" in message
    assert "bad.yml:6:" in message and "(did you mean 'ExecuteBash'?)" in message
    assert "no component 'nothing' version x.x.x in the store" in message
    assert "recipe.yml:7" in message

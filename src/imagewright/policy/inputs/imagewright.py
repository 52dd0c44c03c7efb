"""imagewright's own YAML documents: infrastructure, distribution, pipeline and recipe files,
told apart by their fields and validated by the same models the build uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from imagewright.config.distribution import DistributionConfiguration
from imagewright.config.infrastructure import InfrastructureConfiguration
from imagewright.config.pipeline import ImagePipeline
from imagewright.config.recipe import Recipe
from imagewright.config.yamlload import validate
from imagewright.errors import ConfigError, Problem
from imagewright.pipeline.catalog import Catalog, default_state_directory
from imagewright.policy.graph import Graph, Kind, Resource, as_list
from imagewright.policy.inputs.tree import node_line, walk

_MODELS: dict[Kind, type[BaseModel]] = {
    Kind.infrastructure: InfrastructureConfiguration,
    Kind.distribution: DistributionConfiguration,
    Kind.pipeline: ImagePipeline,
    Kind.recipe: Recipe,
}
# A field only that kind of document has, in the order they are tried.
_MARKERS: list[tuple[Kind, tuple[str, ...]]] = [
    (Kind.distribution, ("distributions",)),
    (Kind.pipeline, ("infrastructureConfigurationArn", "imageRecipeArn", "containerRecipeArn")),
    (Kind.recipe, ("parentImage", "components")),
    (
        Kind.infrastructure,
        (
            "instanceProfileName",
            "instanceTypes",
            "securityGroupIds",
            "instanceMetadataOptions",
            "subnetId",
            "terminateInstanceOnFailure",
            "logging",
        ),
    ),
]
# Fields that name another imagewright file (relative to the file that names it, or an ARN).
REFERENCES: dict[Kind, tuple[str, ...]] = {
    Kind.pipeline: (
        "imageRecipeArn",
        "containerRecipeArn",
        "infrastructureConfigurationArn",
        "distributionConfigurationArn",
    ),
    Kind.recipe: ("infrastructureConfiguration", "distributionConfiguration"),
}


def document_kind(tree: Any) -> Kind | None:
    if not isinstance(tree, dict):
        return None
    for kind, markers in _MARKERS:
        if any(marker in tree for marker in markers):
            return kind
    return None


def read_document(tree: Any, source: Path) -> Graph:
    kind = document_kind(tree)
    if kind is None:
        raise ConfigError(
            Problem("cannot tell what this file is", file=source, line=node_line(tree)),
            hint="lint reads imagewright infrastructure, distribution, pipeline and recipe YAML, "
            "CloudFormation templates and AWS CLI JSON (describe-security-groups, "
            "get-infrastructure-configuration, get-distribution-configuration, get-image-recipe, "
            "describe-image-attribute)",
        )
    model = validate(_MODELS[kind], tree, source)
    lines: dict[str, int] = {}
    walk(tree, lines)
    properties = model.model_dump(by_alias=True, exclude_none=True, mode="json")
    name = str(properties.get("name") or source.name)
    resource = Resource(kind, name, str(source), node_line(tree), properties, lines)
    resource.aliases.update({str(source), str(source.resolve())})
    for field in REFERENCES.get(kind, ()):
        reference = properties.get(field)
        if isinstance(reference, str) and not reference.startswith("arn:"):
            properties[field] = str((source.parent / reference).resolve())
    if isinstance(model, Recipe):
        resource.documents.extend(_component_documents(properties, source))
        resource.documents.extend(_stored_documents(model))
    graph = Graph()
    graph.add(resource)
    return graph


def local_references(graph: Graph) -> list[Path]:
    """Files the imagewright documents of graph point at: they are linted along with them."""
    found: list[Path] = []
    for resource in graph.resources:
        for field in REFERENCES.get(resource.kind, ()):
            value = resource.get(field)
            if isinstance(value, str) and not value.startswith("arn:") and Path(value).is_file():
                found.append(Path(value))
    return found


def _component_documents(recipe: dict[str, Any], source: Path) -> list[str]:
    """Texts of component documents the recipe names by a path relative to itself."""
    documents: list[str] = []
    for component in as_list(recipe.get("components")):
        values = component.values() if isinstance(component, dict) else [component]
        for value in values:
            if not isinstance(value, str) or not value.endswith((".yml", ".yaml")):
                continue
            path = (source.parent / value).resolve()
            if path.is_file():
                documents.append(path.read_text(encoding="utf-8", errors="replace"))
    return documents


def _stored_documents(recipe: Recipe) -> list[str]:
    """Documents of the components the recipe takes from the local store, if there is one."""
    wanted = [c.store_name_and_version() for c in recipe.components]
    stored = [w for w in wanted if w is not None]
    database = default_state_directory() / "catalog.db"
    if not stored or not database.is_file():
        return []
    documents: list[str] = []
    with Catalog(database.parent) as catalog:
        for name, version in stored:
            try:
                documents.append(catalog.find_component(name, version).document)
            except ConfigError:
                continue  # not stored: the build reports that; the rules judge by the name
    return documents

"""Inputs across files (an infrastructure configuration and the security groups the AWS CLI
printed), and bad input: a clear error with file, line and field, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from imagewright.errors import ConfigError
from imagewright.policy.engine import lint
from imagewright.policy.inputs import read_input, read_inputs
from imagewright.policy.policyfile import Policy

CORPUS = Path(__file__).parents[2] / "data" / "lint"


def test_infrastructure_and_security_groups_from_separate_cli_outputs_are_linked() -> None:
    report = lint(
        [
            CORPUS / "awscli" / "get-infrastructure-configuration-imdsv1.json",
            CORPUS / "awscli" / "describe-security-groups-open.json",
        ],
        Policy(),
    )
    (rdp,) = [f for f in report.findings if f.rule_id == "sg-ingress-rdp"]
    assert rdp.resource == "sg-0f00f00f00f00f001"
    assert "used by arn:aws:imagebuilder:eu-west-1:111122223333:" in rdp.title
    assert rdp.path is not None and rdp.path.endswith("describe-security-groups-open.json")


def test_imagewright_pipeline_points_at_documents_by_path() -> None:
    graph = read_input(CORPUS / "imagewright" / "pipeline-good.yml")
    (pipeline,) = graph.resources
    assert pipeline.get("imageRecipeArn") == str(CORPUS / "imagewright" / "recipe-good.yml")


def test_unknown_field_has_line_field_and_suggestion(tmp_path: Path) -> None:
    path = tmp_path / "infra.yml"
    path.write_text(
        "name: build\ninstanceProfileName: p\ninstanceMetadataOptions:\n  httpToken: required\n"
    )
    with pytest.raises(ConfigError) as error:
        read_input(path)
    (problem,) = error.value.problems
    assert problem.file == path
    assert (problem.line, problem.field) == (4, "instanceMetadataOptions.httpToken")
    assert problem.suggestion == "httpTokens"


def test_wrong_value_names_what_was_expected(tmp_path: Path) -> None:
    path = tmp_path / "dist.yml"
    path.write_text(
        "name: d\ndistributions:\n  - amiDistributionConfiguration:\n"
        "      targetAccountIds: ['12345']\n"
    )
    with pytest.raises(ConfigError) as error:
        read_input(path)
    (problem,) = error.value.problems
    assert problem.line == 4
    assert problem.field == "distributions[0].amiDistributionConfiguration.targetAccountIds[0]"
    assert "pattern" in problem.message


def test_unrecognised_document_says_what_is_read(tmp_path: Path) -> None:
    path = tmp_path / "other.yml"
    path.write_text("hello: world\n")
    with pytest.raises(ConfigError) as error:
        read_input(path)
    assert "cannot tell what this file is" in str(error.value)
    assert error.value.hint is not None and "CloudFormation" in error.value.hint


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        read_input(tmp_path / "nope.json")


def test_json_with_tabs_is_read_without_positions(tmp_path: Path) -> None:
    path = tmp_path / "sg.json"
    path.write_text(
        '{\n\t"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "tcp",'
        ' "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]}]\n}\n'
    )
    rules = [f.rule_id for f in lint([path], Policy()).findings]
    assert rules == ["sg-ingress-ssh"]


def test_recipe_brings_the_configurations_it_names_once() -> None:
    recipe = CORPUS / "imagewright" / "recipe-tests-disabled.yml"
    infrastructure = CORPUS / "imagewright" / "infrastructure-good.yml"
    graph = read_inputs([recipe, infrastructure])
    kinds = sorted(r.kind.value for r in graph.resources)
    assert kinds == ["distribution", "infrastructure", "recipe"]


def test_findings_in_a_named_configuration_point_at_its_file(tmp_path: Path) -> None:
    weak = CORPUS / "imagewright" / "infrastructure-weak.yml"
    recipe = tmp_path / "recipe.yml"
    recipe.write_text(
        "name: weak-recipe\nsemanticVersion: 1.0.0\nparentImage: debian:12\n"
        "components:\n"
        "  - componentArn: arn:aws:imagebuilder:eu-west-1:aws:component/update-linux/x.x.x\n"
        f"infrastructureConfiguration: {weak}\n"
    )
    findings = lint([recipe], Policy()).findings
    assert {f.path for f in findings} == {str(weak)}


def test_icmp_from_anywhere_is_not_all_traffic(tmp_path: Path) -> None:
    path = tmp_path / "sg.json"
    path.write_text(
        '{"SecurityGroups": [{"GroupId": "sg-1", "IpPermissions": [{"IpProtocol": "icmp",'
        ' "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],'
        ' "IpPermissionsEgress": []}]}'
    )
    assert lint([path], Policy()).findings == []


def test_stored_component_with_update_os_counts_as_the_patch_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imagewright.pipeline.catalog import Catalog

    recipe = tmp_path / "recipe.yml"
    recipe.write_text(
        "name: stored-patch\nsemanticVersion: 1.0.0\nparentImage: debian:12\n"
        "components:\n  - name: patch-all\n    version: 1.x.x\n"
    )
    monkeypatch.setenv("IMAGEWRIGHT_STATE_DIR", str(tmp_path / "state"))
    rules = {f.rule_id for f in lint([recipe], Policy()).findings}
    assert "recipe-no-patch-step" in rules  # no store yet: judged by the name alone

    document = (CORPUS / "imagewright" / "components" / "patch.yml").read_text()
    with Catalog(tmp_path / "state") as catalog:
        catalog.add_component(
            "patch-all", "1.2.0", platform="Linux", type="BUILD", description=None,
            change_description=None, document=document, sha256="0" * 64,
        )  # fmt: skip
    rules = {f.rule_id for f in lint([recipe], Policy()).findings}
    assert "recipe-no-patch-step" not in rules

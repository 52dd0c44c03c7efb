"""CloudFormation: every short-form tag has a constructor, intrinsic functions resolve from
parameters, mappings and conditions, and references between resources are followed."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest

from imagewright.errors import ConfigError
from imagewright.policy.graph import Kind
from imagewright.policy.inputs import read_input
from imagewright.policy.inputs.cloudformation import TAGS, Template, load_template_text

HEADER = """\
Parameters:
  Env: {Type: String, Default: prod}
  Accounts: {Type: CommaDelimitedList, Default: "111122223333,444455556666"}
  NoDefault: {Type: String}
Mappings:
  Regions:
    prod: {Cidr: 10.20.0.0/16}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Equals [a, a]]
  Either: !Or [!Condition IsDev, !Equals [a, b]]
Resources:
  Group: {Type: AWS::EC2::SecurityGroup, Properties: {GroupDescription: g}}
"""


def resolve(expression: str) -> Any:
    tree = load_template_text(f"{HEADER}Outputs:\n  Value:\n    Value: {expression}\n", "t.yml")
    return Template(tree, "t.yml").resolve(tree["Outputs"]["Value"]["Value"])


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("!Ref Env", "prod"),
        ("!Ref Accounts", ["111122223333", "444455556666"]),
        ("!Ref Group", "Group"),
        ("!Ref NoDefault", "${NoDefault}"),
        ("!Ref AWS::AccountId", "${AWS::AccountId}"),
        ("!GetAtt Group.GroupId", "Group"),
        ("!GetAtt [Group, GroupId]", "Group"),
        ('!Sub "${Env}-${Group.GroupId}-${!Literal}"', "prod-Group-${Literal}"),
        ("!Sub ['${A}/${Env}', {A: x}]", "x/prod"),
        ("!Join ['-', [a, !Ref Env]]", "a-prod"),
        ("!Select [1, [a, b, c]]", "b"),
        ("!Split [',', 'a,b']", ["a", "b"]),
        ("!FindInMap [Regions, !Ref Env, Cidr]", "10.20.0.0/16"),
        ("!If [IsProd, yes, no]", "yes"),
        ("!If [IsDev, yes, no]", "no"),
        ("!If [Both, yes, no]", "yes"),
        ("!If [Either, yes, no]", "no"),
        ("!Equals [!Ref Env, dev]", False),
        ("!Base64 hello", base64.b64encode(b"hello").decode()),
        ("!Cidr [10.0.0.0/16, 2, 8]", ["10.0.0.0/24", "10.0.1.0/24"]),
        ("!GetAZs eu-west-1", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
        ("!ImportValue shared-vpc", "${Import:shared-vpc}"),
        ("{'Fn::Join': ['', [a, {Ref: Env}]]}", "aprod"),
    ],
)
def test_intrinsic_functions(expression: str, expected: Any) -> None:
    assert resolve(expression) == expected


def test_every_short_form_tag_is_known() -> None:
    assert set(TAGS) == {
        "Ref", "GetAtt", "Sub", "Join", "If", "Select", "Split", "FindInMap", "ImportValue",
        "Base64", "Cidr", "Equals", "And", "Or", "Not", "Condition", "GetAZs",
    }  # fmt: skip


def test_no_value_removes_the_property(tmp_path: Path) -> None:
    template = tmp_path / "t.yml"
    template.write_text(
        "Resources:\n"
        "  Infra:\n"
        "    Type: AWS::ImageBuilder::InfrastructureConfiguration\n"
        "    Properties:\n"
        "      Name: n\n"
        "      KeyPair: !Ref AWS::NoValue\n"
    )
    (infra,) = read_input(template).of_kind(Kind.infrastructure)
    assert infra.properties == {"name": "n"}


def test_separate_ingress_resource_joins_its_group_and_infra_follows_the_reference(
    tmp_path: Path,
) -> None:
    template = tmp_path / "t.json"
    template.write_text(
        """{
  "Resources": {
    "Build": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "b"}},
    "Ssh": {"Type": "AWS::EC2::SecurityGroupIngress",
            "Properties": {"GroupId": {"Fn::GetAtt": ["Build", "GroupId"]}, "IpProtocol": "tcp",
                           "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}},
    "Infra": {"Type": "AWS::ImageBuilder::InfrastructureConfiguration",
              "Properties": {"Name": "i", "SecurityGroupIds": [{"Ref": "Build"}]}}
  }
}
"""
    )
    graph = read_input(template)
    (infra,) = graph.of_kind(Kind.infrastructure)
    group = graph.find(Kind.security_group, infra.get("securityGroupIds", 0))
    assert group is not None and group.name == "Build"
    ingress = [p for p in group.permissions if p.direction == "ingress"]
    assert [(p.protocol, p.from_port, p.cidr, p.line) for p in ingress] == [
        ("tcp", 22, "0.0.0.0/0", 6)  # the line of CidrIp
    ]


def test_resource_with_a_false_condition_is_not_created(tmp_path: Path) -> None:
    template = tmp_path / "t.yml"
    template.write_text(
        "Conditions:\n  Never: !Equals [a, b]\n"
        "Resources:\n"
        "  Open:\n    Type: AWS::EC2::SecurityGroup\n    Condition: Never\n"
        "    Properties: {GroupDescription: x}\n"
    )
    assert list(read_input(template).of_kind(Kind.security_group)) == []


def test_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    template = tmp_path / "broken.yml"
    template.write_text("Resources:\n  A:\n    Type: [unclosed\n")
    with pytest.raises(ConfigError) as error:
        read_input(template)
    (problem,) = error.value.problems
    assert problem.file == template and problem.line is not None


def test_bad_intrinsic_arguments_are_a_config_error_with_the_resource_line(
    tmp_path: Path,
) -> None:
    template = tmp_path / "t.yml"
    template.write_text(
        "Resources:\n"
        "  Group:\n"
        "    Type: AWS::EC2::SecurityGroup\n"
        "    Properties:\n"
        "      GroupDescription: !Select [first, [a, b]]\n"
    )
    with pytest.raises(ConfigError) as error:
        read_input(template)
    (problem,) = error.value.problems
    assert (problem.line, problem.field) == (2, "Resources.Group.Properties")


def test_malformed_cli_output_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "perm.json"
    path.write_text('{"ImageId": "ami-1", "LaunchPermissions": ["all"]}')
    with pytest.raises(ConfigError, match="not the JSON the AWS CLI prints"):
        read_input(path)

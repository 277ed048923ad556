"""Roles and trust policies extracted from CloudFormation/SAM templates and Terraform plans."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from trust_auditor.cli.iac import (
    IacRole,
    load_template_text,
    roles_from_cloudformation,
    roles_from_terraform,
)

FIXTURES = Path(__file__).resolve().parents[3] / "examples"
OWN = "111122223333"


def _by_resource(roles: list[IacRole]) -> dict[str, IacRole]:
    return {role.resource: role for role in roles}


def _template(text: str) -> Any:
    return load_template_text(text)


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        pytest.param("!Ref Name", {"Ref": "Name"}, id="ref"),
        pytest.param("!Condition IsProd", {"Condition": "IsProd"}, id="condition"),
        pytest.param("!GetAtt Role.Arn", {"Fn::GetAtt": ["Role", "Arn"]}, id="getatt-dotted"),
        pytest.param("!GetAtt [Role, Arn]", {"Fn::GetAtt": ["Role", "Arn"]}, id="getatt-list"),
        pytest.param("!Sub 'a-${X}'", {"Fn::Sub": "a-${X}"}, id="sub"),
        pytest.param(
            "!Join [':', [a, !Ref B]]", {"Fn::Join": [":", ["a", {"Ref": "B"}]]}, id="nested"
        ),
        pytest.param(
            "!If [C, !Ref A, !Ref AWS::NoValue]",
            {"Fn::If": ["C", {"Ref": "A"}, {"Ref": "AWS::NoValue"}]},
            id="if",
        ),
        pytest.param("!Base64 {Ref: X}", {"Fn::Base64": {"Ref": "X"}}, id="mapping-argument"),
        pytest.param("!GetAZs ''", {"Fn::GetAZs": ""}, id="getazs"),
        pytest.param("!Equals [a, b]", {"Fn::Equals": ["a", "b"]}, id="equals"),
        pytest.param("Version: 2012-10-17", {"Version": "2012-10-17"}, id="date-stays-text"),
    ],
)
def test_loader_turns_short_tags_into_long_form(yaml_text: str, expected: Any) -> None:
    assert _template(yaml_text) == expected


def test_loader_knows_every_documented_short_tag() -> None:
    tags = [
        "Ref",
        "Sub",
        "GetAtt",
        "Join",
        "If",
        "Select",
        "Split",
        "FindInMap",
        "ImportValue",
        "Base64",
        "Cidr",
        "GetAZs",
        "Equals",
        "Not",
        "And",
        "Or",
        "Condition",
    ]
    loaded = _template("\n".join(f"{tag}: !{tag} x" for tag in tags))
    assert {tag: next(iter(value)) for tag, value in loaded.items()} == {
        tag: tag if tag in ("Ref", "Condition") else f"Fn::{tag}" for tag in tags
    }


def test_cloudformation_fixture_resolves_what_the_template_decides() -> None:
    text = (FIXTURES / "cfn-roles.yaml").read_text()
    roles = _by_resource(roles_from_cloudformation(_template(text), account_id=OWN))

    assert set(roles) == {
        "OwnAccountRole",
        "PartnerGuardedRole",
        "AuditorRole",
        "ImportedPrincipalRole",
    }
    own = roles["OwnAccountRole"]
    assert (own.role_name, own.path, own.unresolved) == ("own-account-role", "/ops/", ())
    assert own.document["Version"] == "2012-10-17"
    assert own.document["Statement"][0]["Principal"]["AWS"] == [
        f"arn:aws:iam::{OWN}:root",
        f"arn:aws:iam::{OWN}:role/PartnerGuardedRole",
    ]
    guarded = roles["PartnerGuardedRole"].document["Statement"][0]
    assert guarded["Principal"]["AWS"] == "arn:aws:iam::444455556666:root"
    assert guarded["Condition"] == {"StringEquals": {"sts:ExternalId": "partner-7f3a9c"}}
    assert roles["AuditorRole"].document["Statement"][0]["Principal"]["AWS"] == "999900001111"

    imported = roles["ImportedPrincipalRole"]
    assert imported.document["Statement"][0]["Principal"]["AWS"] == {
        "Fn::ImportValue": "shared-services-account-arn"
    }
    assert imported.unresolved == (
        "Fn::ImportValue at AssumeRolePolicyDocument.Statement[0].Principal.AWS "
        "(not decided by the template)",
    )


def test_parameters_override_defaults() -> None:
    text = (FIXTURES / "cfn-roles.yaml").read_text()
    roles = _by_resource(
        roles_from_cloudformation(
            _template(text), account_id=OWN, parameters={"PartnerAccountId": "999900001111"}
        )
    )
    principal = roles["PartnerGuardedRole"].document["Statement"][0]["Principal"]["AWS"]
    assert principal == "arn:aws:iam::999900001111:root"


def test_sam_function_roles() -> None:
    text = (FIXTURES / "sam-app.yaml").read_text()
    roles = _by_resource(roles_from_cloudformation(_template(text), account_id=OWN))

    # PlainFunction (implicit Lambda trust) and ExplicitRoleFunction (existing role) are skipped.
    assert set(roles) == {"EdgeFunction", "ExecutionRole"}
    assert roles["EdgeFunction"].role_name == "EdgeFunctionRole"
    service = roles["ExecutionRole"].document["Statement"][0]["Principal"]["Service"]
    assert service == "lambda.amazonaws.com"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param({"Fn::Sub": "${AWS::URLSuffix}"}, "amazonaws.com.cn", id="url-suffix-cn"),
        pytest.param({"Fn::Sub": "${!Literal}"}, "${Literal}", id="sub-escape"),
        pytest.param(
            {"Fn::Sub": ["arn:${P}:iam::${A}:root", {"P": {"Ref": "AWS::Partition"}, "A": "1"}]},
            "arn:aws-cn:iam::1:root",
            id="sub-variables",
        ),
        pytest.param({"Fn::Select": ["1", ["a", "b"]]}, "b", id="select"),
        pytest.param({"Fn::Select": [0, {"Fn::Split": [",", "x,y"]}]}, "x", id="select-split"),
        pytest.param(
            {"Fn::GetAtt": ["Partner", "Arn"]},
            "arn:aws-cn:iam::111122223333:user/bob",
            id="user-arn",
        ),
    ],
)
def test_resolved_values(value: Any, expected: Any) -> None:
    template = {
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": value}},
            "Partner": {"Type": "AWS::IAM::User", "Properties": {"UserName": "bob"}},
        }
    }
    (role,) = roles_from_cloudformation(template, account_id=OWN, partition="aws-cn")
    assert (role.document, role.unresolved) == (expected, ())


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param({"Ref": "AWS::Region"}, "Ref AWS::Region", id="region"),
        pytest.param({"Ref": "Undeclared"}, "Ref Undeclared", id="unknown-parameter"),
        pytest.param({"Fn::Sub": "${Bucket.Arn}"}, "GetAtt Bucket.Arn", id="getatt-non-iam"),
        pytest.param({"Fn::If": ["C", "a", "b"]}, "not decided by the template", id="if"),
        pytest.param({"Fn::FindInMap": ["M", "a", "b"]}, "FindInMap key M", id="missing-map"),
        pytest.param({"Fn::Select": [5, ["a"]]}, "malformed Select", id="select-out-of-range"),
        pytest.param({"Fn::Join": [",", "ab"]}, "malformed Join", id="join-not-list"),
    ],
)
def test_unresolvable_values_stay_in_place(value: Any, reason: str) -> None:
    template = {
        "Resources": {
            "Role": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": value}},
            "Bucket": {"Type": "AWS::S3::Bucket"},
        }
    }
    (role,) = roles_from_cloudformation(template, account_id=OWN)
    assert role.document == value
    assert role.unresolved == (f"{next(iter(value))} at AssumeRolePolicyDocument ({reason})",)


def test_role_without_trust_policy_is_reported_unresolved() -> None:
    template = {"Resources": {"Bare": {"Type": "AWS::IAM::Role", "Properties": {}}}}
    (role,) = roles_from_cloudformation(template, account_id=OWN)
    assert (role.document, role.unresolved) == (None, ("AssumeRolePolicyDocument is missing",))


def test_terraform_plan_roles() -> None:
    plan = json.loads((FIXTURES / "terraform-plan.json").read_text())
    roles = _by_resource(roles_from_terraform(plan))

    # Destroyed roles and data sources are not audited.
    assert set(roles) == {
        "aws_iam_role.partner",
        "aws_iam_role.existing",
        "aws_iam_role.computed",
        "module.ci.aws_iam_role.github",
        "aws_iam_role.public",
    }
    partner = roles["aws_iam_role.partner"]
    assert (partner.role_name, partner.path, partner.role_arn) == ("partner-access", "/", None)
    assert json.loads(partner.document)["Statement"][0]["Principal"]["AWS"].endswith(
        "444455556666:root"
    )
    assert roles["module.ci.aws_iam_role.github"].path == "/ci/"
    assert (
        roles["aws_iam_role.existing"].role_arn == "arn:aws:iam::111122223333:role/existing-audit"
    )
    computed = roles["aws_iam_role.computed"]
    assert (computed.document, computed.unresolved) == (
        None,
        ("assume_role_policy is known only after apply",),
    )


def test_terraform_state_output_is_read_from_values() -> None:
    state = {
        "format_version": "1.0",
        "values": {
            "root_module": {
                "resources": [
                    {
                        "address": "aws_iam_role.a",
                        "mode": "managed",
                        "type": "aws_iam_role",
                        "name": "a",
                        "values": {"assume_role_policy": "{}", "name": "role-a"},
                    }
                ]
            }
        },
    }
    assert roles_from_terraform(state) == [IacRole("aws_iam_role.a", "{}", "role-a")]

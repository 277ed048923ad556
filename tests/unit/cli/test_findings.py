"""`trust-auditor findings`: this product's Security Hub findings, filtered (moto)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.helpers.moto_securityhub import install_securityhub_workarounds
from trust_auditor.aws.clients import AwsClients
from trust_auditor.cli.main import main

MOTO_ACCOUNT = "123456789012"
PRODUCT_ARN = f"arn:aws:securityhub:us-east-1:{MOTO_ACCOUNT}:product/{MOTO_ACCOUNT}/default"
PARTNER = "arn:aws:iam::444455556666:root"


def _arn(name: str) -> str:
    return f"arn:aws:iam::{MOTO_ACCOUNT}:role/{name}"


def _trust(principal: Any) -> str:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _listed(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, set[Any]]:
    code = main(["findings", *argv, "--format", "json"])
    items = json.loads(capsys.readouterr().out)
    return code, {
        (i["role_arn"], i["rule"], i["workflow_status"], i["record_state"]) for i in items
    }


@pytest.fixture
def stored(moto: None, capsys: pytest.CaptureFixture[str]) -> None:
    """Three roles scanned and imported, one of them then deleted and re-scanned (archived);
    a customer suppressed one finding; another product shares the default product ARN."""
    iam = boto3.client("iam")
    iam.create_role(
        RoleName="partner-data-access", AssumeRolePolicyDocument=_trust({"AWS": PARTNER})
    )
    iam.create_role(RoleName="public-role", AssumeRolePolicyDocument=_trust({"AWS": "*"}))
    iam.create_role(RoleName="retired", AssumeRolePolicyDocument=_trust({"AWS": "999900001111"}))
    iam.create_role(
        RoleName="sns-delivery", AssumeRolePolicyDocument=_trust({"Service": "sns.amazonaws.com"})
    )
    assert main(["scan", "--import"]) == 1
    iam.delete_role(RoleName="retired")
    assert main(["scan", "--import"]) == 1
    securityhub = boto3.client("securityhub")
    install_securityhub_workarounds(securityhub)
    sns = next(
        f
        for f in securityhub.get_findings()["Findings"]
        if f["Resources"][0]["Id"] == _arn("sns-delivery")
    )
    securityhub.batch_update_findings(
        FindingIdentifiers=[{"Id": sns["Id"], "ProductArn": sns["ProductArn"]}],
        Workflow={"Status": "SUPPRESSED"},
        Note={"Text": "accepted risk", "UpdatedBy": "security-team"},
    )
    other: Any = {**sns, "Id": "other-product/1", "GeneratorId": "other-product/check"}
    securityhub.batch_import_findings(Findings=[other])
    capsys.readouterr()


ACTIVE = {
    (_arn("partner-data-access"), "EXTERNAL_ID_MISSING", "NEW", "ACTIVE"),
    (_arn("public-role"), "PUBLIC_TRUST", "NEW", "ACTIVE"),
    (_arn("sns-delivery"), "SERVICE_CONFUSED_DEPUTY", "SUPPRESSED", "ACTIVE"),
}


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param([], ACTIVE, id="active-by-default"),
        pytest.param(
            ["--record-state", "ARCHIVED"],
            {(_arn("retired"), "EXTERNAL_ID_MISSING", "NEW", "ARCHIVED")},
            id="archived",
        ),
        pytest.param(
            ["--severity", "HIGH"],
            {(_arn("partner-data-access"), "EXTERNAL_ID_MISSING", "NEW", "ACTIVE")},
            id="severity",
        ),
        pytest.param(
            ["--severity", "CRITICAL", "--severity", "LOW"],
            ACTIVE - {(_arn("partner-data-access"), "EXTERNAL_ID_MISSING", "NEW", "ACTIVE")},
            id="severities",
        ),
        pytest.param(
            ["--rule", "PUBLIC_TRUST"],
            {(_arn("public-role"), "PUBLIC_TRUST", "NEW", "ACTIVE")},
            id="rule",
        ),
        pytest.param(
            ["--role", "public-role"],
            {(_arn("public-role"), "PUBLIC_TRUST", "NEW", "ACTIVE")},
            id="role-name",
        ),
        pytest.param(
            ["--role", _arn("partner-data-access")],
            {(_arn("partner-data-access"), "EXTERNAL_ID_MISSING", "NEW", "ACTIVE")},
            id="role-arn",
        ),
        pytest.param(
            ["--workflow-status", "SUPPRESSED"],
            {(_arn("sns-delivery"), "SERVICE_CONFUSED_DEPUTY", "SUPPRESSED", "ACTIVE")},
            id="workflow",
        ),
        pytest.param(["--rule", "DANGLING_PRINCIPAL"], set(), id="none-match"),
    ],
)
def test_filters(
    stored: None, argv: list[str], expected: set[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _listed(argv, capsys) == (1 if expected else 0, expected)


def test_json_fields(stored: None, capsys: pytest.CaptureFixture[str]) -> None:
    main(["findings", "--rule", "EXTERNAL_ID_MISSING", "--format", "json"])
    (item,) = json.loads(capsys.readouterr().out)
    assert item["principal"] == PARTNER
    assert item["severity"] == "HIGH"
    assert item["id"].startswith(f"trust-auditor/{MOTO_ACCOUNT}/partner-data-access/")
    assert "sts:ExternalId" in item["remediation"]
    assert item["updated_at"]


def test_table_is_severity_sorted(stored: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["findings"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "SEVERITY",
        "RULE",
        "ROLE",
        "PRINCIPAL",
        "WORKFLOW",
        "UPDATED",
        "TITLE",
    ]
    assert [line.split()[0] for line in lines[1:]] == ["CRITICAL", "HIGH", "LOW"]


def test_nothing_stored(moto: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["findings"]) == 0
    assert capsys.readouterr().out == "No findings.\n"


def _not_subscribed(clients: AwsClients) -> None:
    def refuse(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "InvalidAccessException", "Message": "not subscribed"}},
            "GetFindings",
        )

    clients.securityhub.meta.events.register("before-call.securityhub.GetFindings", refuse)


def test_security_hub_not_enabled(
    moto: None,
    clients_hooks: list[Callable[[AwsClients], None]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    clients_hooks.append(_not_subscribed)
    assert main(["findings", "--region", "eu-west-1"]) == 2
    assert capsys.readouterr().err == (
        "trust-auditor: error: Security Hub is not enabled in eu-west-1 for this account "
        "(GetFindings): enable it or pass --region\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["--role", "arn:aws:iam::1:role/x"],
            "--role: not an IAM role ARN: 'arn:aws:iam::1:role/x'",
            id="bad-role-arn",
        ),
        pytest.param(
            ["--severity", "URGENT"], "argument --severity: invalid choice: 'URGENT'", id="severity"
        ),
        pytest.param(
            ["--record-state", "DELETED"],
            "argument --record-state: invalid choice: 'DELETED'",
            id="record-state",
        ),
    ],
)
def test_usage_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["findings", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"trust-auditor: error: {message}")
    assert err.count("\n") == 1


def test_no_credentials(
    aws_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert main(["findings"]) == 2
    assert capsys.readouterr().err.startswith("trust-auditor: error: no AWS credentials found")

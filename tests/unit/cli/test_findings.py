"""`trust-auditor findings`: this product's Security Hub findings, filtered (moto)."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from tests.helpers.moto_securityhub import install_securityhub_workarounds
from tests.unit.cli.conftest import security_hub_not_enabled
from trust_auditor.asff import FIELD_CORRECTED_POLICY, FIELD_RULE, FindingScope, to_asff
from trust_auditor.aws.clients import AwsClients
from trust_auditor.cli.findings import StoredFinding
from trust_auditor.cli.main import main
from trust_auditor.model import Finding, Remediation, Rule
from trust_auditor.roles import RoleRecord
from trust_auditor.rules.catalog import advice

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
        pytest.param(
            ["--rule", "SERVICE_CONFUSED_DEPUTY", "--workflow-status", "SUPPRESSED"],
            {(_arn("sns-delivery"), "SERVICE_CONFUSED_DEPUTY", "SUPPRESSED", "ACTIVE")},
            id="rule-and-workflow",
        ),
        pytest.param(
            ["--severity", "LOW", "--workflow-status", "NEW"], set(), id="severity-and-workflow"
        ),
        pytest.param(
            ["--record-state", "ARCHIVED", "--severity", "CRITICAL"],
            set(),
            id="archived-and-severity",
        ),
    ],
)
def test_filters(
    stored: None, argv: list[str], expected: set[Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _listed(argv, capsys) == (1 if expected else 0, expected)


def _guarded(principal: str) -> dict[str, Any]:
    """The corrected trust policy of a partner role: the partner must send an ExternalId."""
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": principal},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"sts:ExternalId": "<EXTERNAL_ID>"}},
    }
    return {"Version": "2012-10-17", "Statement": [statement]}


def test_json_fields(stored: None, capsys: pytest.CaptureFixture[str]) -> None:
    main(["findings", "--rule", "EXTERNAL_ID_MISSING", "--format", "json"])
    (item,) = json.loads(capsys.readouterr().out)
    assert item["principal"] == PARTNER
    assert item["severity"] == "HIGH"
    assert item["id"].startswith(f"trust-auditor/{MOTO_ACCOUNT}/partner-data-access/")
    assert (item["role_arn"], item["role_name"]) == (
        _arn("partner-data-access"),
        "partner-data-access",
    )
    assert "444455556666" in item["detail"]
    assert item["updated_at"]
    remediation = item["remediation"]
    assert remediation["text"] == advice(Rule.EXTERNAL_ID_MISSING)
    assert remediation["corrected_policy"] == _guarded(PARTNER)
    command = shlex.split(remediation["command"])
    assert command[:5] == [
        "aws",
        "iam",
        "update-assume-role-policy",
        "--role-name",
        "partner-data-access",
    ]
    assert json.loads(command[6]) == _guarded(PARTNER)


def test_table_is_severity_sorted_by_role_name(
    stored: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["findings"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["SEVERITY", "RULE", "ROLE", "PRINCIPAL", "WORKFLOW", "TITLE"]
    assert [line.split()[:5] for line in lines[1:]] == [
        ["CRITICAL", "PUBLIC_TRUST", "public-role", "*", "NEW"],
        ["HIGH", "EXTERNAL_ID_MISSING", "partner-data-access", PARTNER, "NEW"],
        ["LOW", "SERVICE_CONFUSED_DEPUTY", "sns-delivery", "sns.amazonaws.com", "SUPPRESSED"],
    ]


def test_show_remediation(stored: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["findings", "--rule", "EXTERNAL_ID_MISSING", "--show-remediation"]) == 1
    header, row, blank, heading, detail, fix, *rest = capsys.readouterr().out.splitlines()
    assert (header.split()[0], row.split()[:3], blank) == (
        "SEVERITY",
        ["HIGH", "EXTERNAL_ID_MISSING", "partner-data-access"],
        "",
    )
    assert heading == f"HIGH EXTERNAL_ID_MISSING {_arn('partner-data-access')}"
    assert detail.startswith("    ") and "444455556666" in detail
    assert fix == f"    Fix: {advice(Rule.EXTERNAL_ID_MISSING)}"
    assert rest[0] == "    Corrected trust policy:"
    command_start = rest.index("    Command:")
    assert json.loads("\n".join(rest[1:command_start])) == _guarded(PARTNER)
    (command,) = rest[command_start + 1 :]
    assert json.loads(shlex.split(command)[6]) == _guarded(PARTNER)


ROLE = RoleRecord(
    arn=_arn("partner-data-access"),
    name="partner-data-access",
    path="/",
    account_id=MOTO_ACCOUNT,
    role_id=None,
    trust_policy=json.loads(_trust({"AWS": PARTNER})),
)
REMEDIATION = Remediation(
    advice(Rule.EXTERNAL_ID_MISSING),
    _guarded(PARTNER),
    "aws iam update-assume-role-policy --role-name partner-data-access --policy-document '{}'",
)


def _stored_asff(fields: dict[str, str]) -> dict[str, Any]:
    finding = Finding(
        Rule.EXTERNAL_ID_MISSING, PARTNER, "title", "detail", REMEDIATION, statement_ids=("0",)
    )
    now = datetime(2025, 1, 2, tzinfo=UTC)
    asff = to_asff(
        finding,
        ROLE,
        scope=FindingScope(MOTO_ACCOUNT, "aws", "us-east-1"),
        created_at=now,
        updated_at=now,
    )
    asff["ProductFields"] |= fields
    return asff


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        pytest.param({}, REMEDIATION, id="advice-policy-and-command-apart"),
        pytest.param(
            {FIELD_RULE: "RULE_OF_A_LATER_VERSION"},
            Remediation(
                f"{REMEDIATION.text} Command: {REMEDIATION.command}",
                REMEDIATION.corrected_policy,
                REMEDIATION.command,
            ),
            id="unknown-rule-keeps-the-recommendation",
        ),
        pytest.param(
            {FIELD_CORRECTED_POLICY: '{"Version": "2012-10-17", "Statem'},
            Remediation(REMEDIATION.text, None, REMEDIATION.command),
            id="cut-policy-left-out",
        ),
        pytest.param(
            {FIELD_CORRECTED_POLICY: '["not", "a", "policy"]'},
            Remediation(REMEDIATION.text, None, REMEDIATION.command),
            id="non-object-policy-left-out",
        ),
    ],
)
def test_remediation_read_back_from_asff(fields: dict[str, str], expected: Remediation) -> None:
    assert StoredFinding.from_asff(_stored_asff(fields)).remediation == expected


def test_nothing_stored(moto: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["findings"]) == 0
    assert capsys.readouterr().out == "No findings.\n"


def test_security_hub_not_enabled(
    moto: None,
    clients_hooks: list[Callable[[AwsClients], None]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    clients_hooks.append(security_hub_not_enabled)
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
            ["--show-remediation", "--format", "json"],
            "--show-remediation goes with --format table (JSON always holds it)",
            id="show-remediation-json",
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

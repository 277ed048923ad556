"""`trust-auditor scan`: export files, live accounts (moto), output formats, import, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.unit.cli.conftest import security_hub_not_enabled
from trust_auditor.asff import finding_id
from trust_auditor.aws.clients import AwsClients
from trust_auditor.cli.main import main
from trust_auditor.cli.sarif import FINGERPRINT_KEY

MOTO_ACCOUNT = "123456789012"  # moto's account, also the account of the export fixture
EXPORT = Path(__file__).resolve().parents[3] / "examples" / "authorization-details.json"
PARTNER = "arn:aws:iam::444455556666:root"


def _arn(name: str) -> str:
    return f"arn:aws:iam::{MOTO_ACCOUNT}:role/{name}"


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _scan_json(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, set[Any]]:
    code, out, _ = _run(["scan", *argv, "--format", "json"], capsys)
    return code, {
        (f["role_arn"], f["rule"], f["principal"], f.get("exemption")) for f in json.loads(out)
    }


EXPORT_FINDINGS = {
    (_arn("legacy-vendor"), "PUBLIC_TRUST", "*", "vendor contract, review 2026-12"),
    (_arn("partner-data-access"), "EXTERNAL_ID_MISSING", PARTNER, None),
    (_arn("sns-delivery"), "SERVICE_CONFUSED_DEPUTY", "sns.amazonaws.com", None),
}


# --- export files ----------------------------------------------------------------------------


def test_export_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert _scan_json(["--from-file", str(EXPORT)], capsys) == (1, EXPORT_FINDINGS)


def test_export_file_table_and_plain_progress(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["scan", "--from-file", str(EXPORT)], capsys)
    assert code == 1
    assert out.splitlines()[0].split() == ["#", "SEVERITY", "ROLE", "RULE", "PRINCIPAL", "TITLE"]
    assert "Exempt (role tag): vendor contract, review 2026-12" in out
    # stderr is not a terminal here: one plain line, no carriage returns.
    assert err == "roles audited [" + "#" * 30 + "] 5/5\n"


def test_org_options_apply_to_every_role(capsys: pytest.CaptureFixture[str]) -> None:
    argv = [
        "--from-file",
        str(EXPORT),
        "--org-id",
        "o-exampleorg1",
        "--org-account",
        "444455556666",
    ]
    _, findings = _scan_json(argv, capsys)
    assert (_arn("partner-data-access"), "ORG_CONDITION_MISSING", PARTNER, None) in findings


def _export_of(tmp_path: Path, *names: str) -> str:
    export = json.loads(EXPORT.read_text())
    export["RoleDetailList"] = [r for r in export["RoleDetailList"] if r["RoleName"] in names]
    path = tmp_path / "export.json"
    path.write_text(json.dumps(export))
    return str(path)


@pytest.mark.parametrize(
    ("roles", "code"),
    [
        pytest.param(("org-logging", "AWSServiceRoleForSupport"), 0, id="clean"),
        pytest.param(("legacy-vendor",), 0, id="only-exempt-findings"),
        pytest.param(("legacy-vendor", "sns-delivery"), 1, id="one-unexempt-finding"),
    ],
)
def test_exit_code_ignores_exempt_roles(
    roles: tuple[str, ...], code: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", "--from-file", _export_of(tmp_path, *roles), "--format", "json"]) == code


def test_sarif_output(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["scan", "--from-file", str(EXPORT), "--format", "sarif"], capsys)
    log = json.loads(out)
    results = log["runs"][0]["results"]
    assert (code, log["version"], len(results)) == (1, "2.1.0", 3)
    partner = next(r for r in results if r["ruleId"] == "EXTERNAL_ID_MISSING")
    assert partner["level"] == "error"
    assert partner["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == _arn(
        "partner-data-access"
    )
    assert partner["partialFingerprints"] == {
        FINGERPRINT_KEY: finding_id(
            MOTO_ACCOUNT, "partner-data-access", "EXTERNAL_ID_MISSING", PARTNER
        )
    }
    assert {r["ruleId"]: r["level"] for r in results}["SERVICE_CONFUSED_DEPUTY"] == "note"


@pytest.mark.parametrize(
    ("argv", "region"),
    [
        pytest.param([], "us-east-1", id="default-region"),
        pytest.param(["--region", "eu-west-1"], "eu-west-1", id="region"),
    ],
)
def test_asff_output(argv: list[str], region: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["scan", "--from-file", str(EXPORT), "--format", "asff", *argv], capsys)
    findings = json.loads(out)
    assert code == 1
    assert {f["GeneratorId"] for f in findings} == {
        "trust-auditor/PUBLIC_TRUST",
        "trust-auditor/EXTERNAL_ID_MISSING",
        "trust-auditor/SERVICE_CONFUSED_DEPUTY",
    }
    partner = next(f for f in findings if f["GeneratorId"].endswith("EXTERNAL_ID_MISSING"))
    assert partner["Id"] == finding_id(
        MOTO_ACCOUNT, "partner-data-access", "EXTERNAL_ID_MISSING", PARTNER
    )
    assert partner["ProductArn"] == (
        f"arn:aws:securityhub:{region}:{MOTO_ACCOUNT}:product/{MOTO_ACCOUNT}/default"
    )
    assert partner["Resources"][0]["Id"] == _arn("partner-data-access")


def test_export_scan_needs_no_aws(
    aws_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert _scan_json(["--from-file", str(EXPORT)], capsys) == (1, EXPORT_FINDINGS)


# --- live account (moto) --------------------------------------------------------------------


def _trust(principal: Any, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _create_roles() -> None:
    iam = boto3.client("iam")
    iam.create_role(
        RoleName="partner-data-access", AssumeRolePolicyDocument=_trust({"AWS": PARTNER})
    )
    iam.create_role(
        RoleName="partner-guarded",
        AssumeRolePolicyDocument=_trust(
            {"AWS": PARTNER}, {"StringEquals": {"sts:ExternalId": "c0ffee-7f3a9c"}}
        ),
    )
    iam.create_role(
        RoleName="sns-delivery", AssumeRolePolicyDocument=_trust({"Service": "sns.amazonaws.com"})
    )


LIVE_FINDINGS = {
    (_arn("partner-data-access"), "EXTERNAL_ID_MISSING", PARTNER, None),
    (_arn("sns-delivery"), "SERVICE_CONFUSED_DEPUTY", "sns.amazonaws.com", None),
}


def test_live_scan(moto: None, capsys: pytest.CaptureFixture[str]) -> None:
    _create_roles()
    assert _scan_json([], capsys) == (1, LIVE_FINDINGS)


def test_live_scan_progress_without_total(moto: None, capsys: pytest.CaptureFixture[str]) -> None:
    _create_roles()
    _, _, err = _run(["scan"], capsys)
    assert err == "roles audited: 3\n"


def test_lookup_org_reads_our_accounts(moto: None, capsys: pytest.CaptureFixture[str]) -> None:
    organizations = boto3.client("organizations")
    org_id = organizations.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    status = organizations.create_account(Email="a@example.com", AccountName="logs")
    member = status["CreateAccountStatus"]["AccountId"]
    boto3.client("iam").create_role(
        RoleName="member-access", AssumeRolePolicyDocument=_trust({"AWS": member})
    )
    without = _scan_json([], capsys)[1]
    with_org = _scan_json(["--lookup-org"], capsys)[1]
    assert without == {(_arn("member-access"), "EXTERNAL_ID_MISSING", member, None)}
    assert with_org == {(_arn("member-access"), "ORG_CONDITION_MISSING", member, None)}
    assert org_id.startswith("o-")


def test_import_then_archive_when_fixed(moto: None, capsys: pytest.CaptureFixture[str]) -> None:
    _create_roles()
    code, _, err = _run(["scan", "--import", "--format", "json"], capsys)
    assert code == 1
    assert err.splitlines()[-1] == (
        "Security Hub (us-east-1): 2 finding(s) imported, 0 archived, 0 suppressed"
    )
    boto3.client("iam").delete_role(RoleName="partner-data-access")
    code, _, err = _run(["scan", "--import", "--format", "json"], capsys)
    assert code == 1
    assert err.splitlines()[-1] == (
        "Security Hub (us-east-1): 1 finding(s) imported, 1 archived, 0 suppressed"
    )
    stored = boto3.client("securityhub").get_findings()["Findings"]
    states = {f["Resources"][0]["Id"]: f["RecordState"] for f in stored}
    assert states == {_arn("partner-data-access"): "ARCHIVED", _arn("sns-delivery"): "ACTIVE"}


def test_import_suppresses_an_exempt_roles_findings(
    moto: None, capsys: pytest.CaptureFixture[str]
) -> None:
    boto3.client("iam").create_role(
        RoleName="legacy-vendor",
        AssumeRolePolicyDocument=_trust({"AWS": "*"}),
        Tags=[{"Key": "trust-auditor:exempt", "Value": "vendor contract"}],
    )
    code, _, err = _run(["scan", "--import", "--format", "json"], capsys)
    assert code == 0  # the only finding is exempt
    assert err.splitlines()[-1] == (
        "Security Hub (us-east-1): 1 finding(s) imported, 0 archived, 1 suppressed"
    )
    assert main(["findings", "--workflow-status", "SUPPRESSED", "--format", "json"]) == 1
    (listed,) = json.loads(capsys.readouterr().out)
    assert (listed["role_arn"], listed["rule"]) == (_arn("legacy-vendor"), "PUBLIC_TRUST")


def _record_states() -> dict[str, str]:
    stored = boto3.client("securityhub").get_findings()["Findings"]
    return {f["Resources"][0]["Id"]: f["RecordState"] for f in stored}


@pytest.mark.parametrize(
    ("flags", "summary", "unlisted_state"),
    [
        pytest.param(
            [], "1 finding(s) imported, 0 archived, 0 suppressed", "ACTIVE", id="listed-roles-only"
        ),
        pytest.param(
            ["--archive-missing"],
            "1 finding(s) imported, 2 archived, 0 suppressed",
            "ARCHIVED",
            id="archive-missing",
        ),
    ],
)
def test_import_of_a_partial_export(
    flags: list[str],
    summary: str,
    unlisted_state: str,
    *,
    moto: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["scan", "--from-file", str(EXPORT), "--import", "--format", "json"]) == 1
    partial = _export_of(tmp_path, "sns-delivery")
    code, _, err = _run(
        ["scan", "--from-file", partial, "--import", "--format", "json", *flags], capsys
    )
    assert code == 1
    assert err.splitlines()[-1] == f"Security Hub (us-east-1): {summary}"
    assert _record_states() == {
        _arn("partner-data-access"): unlisted_state,
        _arn("legacy-vendor"): unlisted_state,
        _arn("sns-delivery"): "ACTIVE",
    }


# --- errors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["--archive-missing", "--import"], id="live-scan"),
        pytest.param(["--archive-missing", "--from-file", str(EXPORT)], id="without-import"),
    ],
)
def test_archive_missing_needs_an_imported_export(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(["scan", *argv], capsys) == (
        2,
        "",
        "trust-auditor: error: --archive-missing goes with --from-file and --import (a live "
        "scan always archives the findings of roles that are gone)\n",
    )


def _truncated_without_marker(clients: AwsClients) -> None:
    def truncate(parsed: dict[str, Any], **_: Any) -> None:
        parsed["IsTruncated"] = True
        parsed.pop("Marker", None)

    clients.iam.meta.events.register("after-call.iam.GetAccountAuthorizationDetails", truncate)


def _role_without_arn(clients: AwsClients) -> None:
    def drop_arn(parsed: dict[str, Any], **_: Any) -> None:
        del parsed["RoleDetailList"][-1]["Arn"]

    clients.iam.meta.events.register("after-call.iam.GetAccountAuthorizationDetails", drop_arn)


@pytest.mark.parametrize(
    ("hook", "message"),
    [
        pytest.param(
            _truncated_without_marker,
            "GetAccountAuthorizationDetails: IAM reported a truncated page without a Marker",
            id="truncated-page-without-marker",
        ),
        pytest.param(
            _role_without_arn,
            "GetAccountAuthorizationDetails returned an unreadable role: "
            "role entry lacks Arn or RoleName",
            id="unreadable-role",
        ),
    ],
)
def test_unreadable_iam_listing(
    hook: Callable[[AwsClients], None],
    message: str,
    moto: None,
    clients_hooks: list[Callable[[AwsClients], None]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _create_roles()
    clients_hooks.append(hook)
    code, out, err = _run(["scan", "--format", "json"], capsys)
    assert (code, out) == (2, "")
    assert err.splitlines()[-1] == f"trust-auditor: error: {message}"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param("{", "{file}: not JSON: Expecting property name", id="bad-json"),
        pytest.param(
            '{"Statement": []}',
            "{file}: no RoleDetailList: "
            "expected `aws iam get-account-authorization-details` output",
            id="not-an-export",
        ),
        pytest.param(
            '{"RoleDetailList": ' + "[" * 100_000 + "]" * 100_000 + "}",
            "{file}: nested too deeply",
            id="nested-too-deeply",
        ),
        pytest.param(
            '{"RoleDetailList": [{"RoleName": "x"}]}',
            "{file}: role entry lacks Arn or RoleName",
            id="malformed-role",
        ),
    ],
)
def test_bad_export_file(
    content: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "export.json"
    file.write_text(content)
    code, out, err = _run(["scan", "--from-file", str(file)], capsys)
    assert (code, out) == (2, "")
    assert err.startswith("trust-auditor: error: " + message.replace("{file}", str(file)))
    assert err.count("\n") == 1


def test_missing_export_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "absent.json"
    assert _run(["scan", "--from-file", str(missing)], capsys) == (
        2,
        "",
        f"trust-auditor: error: cannot read {missing}: No such file or directory\n",
    )


def test_no_credentials(
    aws_env: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    assert _run(["scan"], capsys) == (
        2,
        "",
        "trust-auditor: error: no AWS credentials found: use --profile, environment variables "
        "or an instance role\n",
    )


def test_unknown_profile(aws_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["scan", "--profile", "nope"], capsys) == (
        2,
        "",
        "trust-auditor: error: The config profile (nope) could not be found\n",
    )


def test_security_hub_not_enabled(
    moto: None,
    clients_hooks: list[Callable[[AwsClients], None]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _create_roles()
    clients_hooks.append(security_hub_not_enabled)
    code, _, err = _run(["scan", "--import", "--format", "json"], capsys)
    assert code == 2
    assert err.splitlines()[-1] == (
        "trust-auditor: error: Security Hub is not enabled in us-east-1 for this account "
        "(GetFindings): enable it or pass --region"
    )


def test_import_of_another_accounts_export(
    moto: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = json.loads(EXPORT.read_text())
    for role in export["RoleDetailList"]:
        role["Arn"] = role["Arn"].replace(MOTO_ACCOUNT, "210987654321")
    file = tmp_path / "other.json"
    file.write_text(json.dumps(export))
    code, _, err = _run(["scan", "--from-file", str(file), "--import", "--format", "json"], capsys)
    assert code == 2
    assert err.splitlines()[-1] == (
        "trust-auditor: error: roles of account(s) 210987654321 cannot be published from "
        f"account {MOTO_ACCOUNT}"
    )

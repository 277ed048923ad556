from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

import pytest

from trust_auditor.asff import (
    DESCRIPTION_MAX,
    FIELD_ALERT,
    RECOMMENDATION_MAX,
    TITLE_MAX,
    FindingScope,
    archived,
    finding_id,
    import_reopens,
    next_updated_at,
    policy_document_text,
    role_key_of,
    to_asff,
)
from trust_auditor.model import Finding, Remediation, Rule
from trust_auditor.roles import RoleRecord
from trust_auditor.text import sanitize

ACCOUNT = "111122223333"
SCOPE = FindingScope(ACCOUNT, "aws", "eu-west-1")
NOW = datetime(2025, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "sts:AssumeRole"}
    ],
}
ROLE = RoleRecord(
    arn=f"arn:aws:iam::{ACCOUNT}:role/team/partner",
    name="partner",
    path="/team/",
    account_id=ACCOUNT,
    role_id="AROAEXAMPLE",
    trust_policy=POLICY,
    tags=MappingProxyType({}),
    create_date="2024-05-06T07:08:09Z",
)


def _finding(**changes: object) -> Finding:
    values: dict[str, object] = {
        "rule": Rule.EXTERNAL_ID_MISSING,
        "principal": "444455556666",
        "title": "Account 444455556666 may assume the role without an ExternalId",
        "detail": "Statement 0 trusts 444455556666 with no sts:ExternalId condition.",
        "remediation": Remediation(
            text="Add an sts:ExternalId condition.",
            corrected_policy=POLICY,
            command="aws iam update-assume-role-policy --role-name partner --policy-document file://p.json",
        ),
        "statement_ids": ("0",),
    }
    values.update(changes)
    return Finding(**values)  # type: ignore[arg-type]


def test_asff_carries_the_contract_fields():
    asff = to_asff(_finding(), ROLE, scope=SCOPE, created_at=NOW, updated_at=NOW)
    assert asff["ProductArn"] == (
        f"arn:aws:securityhub:eu-west-1:{ACCOUNT}:product/{ACCOUNT}/default"
    )
    assert asff["GeneratorId"] == "trust-auditor/EXTERNAL_ID_MISSING"
    assert asff["AwsAccountId"] == ACCOUNT
    assert asff["Severity"]["Label"] == "HIGH"
    assert asff["FindingProviderFields"] == {
        "Severity": asff["Severity"],
        "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
    }
    assert (asff["RecordState"], asff["Compliance"]) == ("ACTIVE", {"Status": "FAILED"})
    assert asff["CreatedAt"] == asff["UpdatedAt"] == "2025-01-02T03:04:05.678Z"
    [resource] = asff["Resources"]
    assert resource["Type"] == "AwsIamRole"
    assert resource["Id"] == ROLE.arn
    details = resource["Details"]["AwsIamRole"]
    assert json.loads(details["AssumeRolePolicyDocument"]) == POLICY
    assert (details["RoleName"], details["Path"], details["RoleId"], details["CreateDate"]) == (
        "partner",
        "/team/",
        "AROAEXAMPLE",
        "2024-05-06T07:08:09Z",
    )
    assert (
        "Command: aws iam update-assume-role-policy"
        in asff["Remediation"]["Recommendation"]["Text"]
    )
    assert json.loads(asff["ProductFields"]["trust-auditor/CorrectedPolicy"]) == POLICY
    assert asff["ProductFields"]["trust-auditor/RoleName"] == "partner"


def test_observed_assumption_gets_a_ttp_type():
    asff = to_asff(
        _finding(rule=Rule.OBSERVED_UNGUARDED_ASSUMPTION),
        ROLE,
        scope=SCOPE,
        created_at=NOW,
        updated_at=NOW,
    )
    assert asff["Types"] == ["TTPs/Initial Access"]


def test_untrusted_text_is_sanitised_and_truncated():
    hostile = _finding(
        title="evil\x00\u202etitle\n" + "t" * 400,
        detail="line\x1b[31m\n" + "d" * 2000,
        remediation=Remediation(text="r" * 600, corrected_policy={"x": "y" * 3000}, command=None),
    )
    asff = to_asff(hostile, ROLE, scope=SCOPE, created_at=NOW, updated_at=NOW)
    assert len(asff["Title"]) == TITLE_MAX
    assert asff["Title"].startswith("eviltitle ")
    assert len(asff["Description"]) == DESCRIPTION_MAX
    assert "\x1b" not in asff["Description"]
    assert len(asff["Remediation"]["Recommendation"]["Text"]) == RECOMMENDATION_MAX
    # A cut JSON policy would be wrong: too long means left out.
    assert "trust-auditor/CorrectedPolicy" not in asff["ProductFields"]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        pytest.param({"a": "é"}, '{"a": "\\u00e9"}', id="dict-ascii-json"),
        pytest.param('{"a": "\u0100"}', '{"a": "\\u0100"}', id="raw-string-escaped"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_policy_document_uses_only_characters_asff_accepts(document: object, expected: str | None):
    assert policy_document_text(document) == expected


def test_finding_id_is_deterministic_and_role_scoped():
    first = finding_id(ACCOUNT, "partner", Rule.EXTERNAL_ID_MISSING, "444455556666")
    assert first == finding_id(ACCOUNT, "partner", "EXTERNAL_ID_MISSING", "444455556666")
    assert first != finding_id(ACCOUNT, "partner", Rule.EXTERNAL_ID_MISSING, "444455556667")
    assert first != finding_id(ACCOUNT, "partner2", Rule.EXTERNAL_ID_MISSING, "444455556666")
    assert first.startswith(f"trust-auditor/{ACCOUNT}/partner/")
    assert len(finding_id(ACCOUNT, "r" * 64, Rule.PUBLIC_TRUST, "x" * 2000)) <= 512
    assert role_key_of(first, ACCOUNT) == "partner"
    assert role_key_of(first, "999999999999") is None


def test_finding_id_ignores_the_case_of_the_role_name():
    """IAM role names are not distinguished by case: "Partner" and "partner" are one role."""
    mixed = finding_id(ACCOUNT, "Vendor-Partner", Rule.EXTERNAL_ID_MISSING, "444455556666")
    assert mixed == finding_id(ACCOUNT, "vendor-partner", Rule.EXTERNAL_ID_MISSING, "444455556666")
    assert mixed.startswith(f"trust-auditor/{ACCOUNT}/vendor-partner/")
    assert role_key_of(mixed, ACCOUNT) == "vendor-partner"


def test_display_name_keeps_the_case_iam_writes():
    role = RoleRecord(
        arn=f"arn:aws:iam::{ACCOUNT}:role/Vendor-Partner",
        name="Vendor-Partner",
        path="/",
        account_id=ACCOUNT,
        role_id=None,
        trust_policy=POLICY,
    )
    asff = to_asff(_finding(), role, scope=SCOPE, created_at=NOW, updated_at=NOW)
    assert asff["Id"].startswith(f"trust-auditor/{ACCOUNT}/vendor-partner/")
    assert asff["ProductFields"]["trust-auditor/RoleName"] == "Vendor-Partner"
    assert asff["Resources"][0]["Details"]["AwsIamRole"]["RoleName"] == "Vendor-Partner"


@pytest.mark.parametrize(
    ("alert", "expected"),
    [
        pytest.param(True, {FIELD_ALERT: "new"}, id="opening-import-is-marked"),
        pytest.param(False, {}, id="re-import-is-not"),
    ],
)
def test_alert_marker(alert: bool, expected: dict[str, str]):
    fields = to_asff(_finding(), ROLE, scope=SCOPE, created_at=NOW, updated_at=NOW, alert=alert)[
        "ProductFields"
    ]
    assert {key: value for key, value in fields.items() if key == FIELD_ALERT} == expected


@pytest.mark.parametrize(
    ("previous", "reopens"),
    [
        pytest.param({}, True, id="not-stored"),
        pytest.param({"RecordState": "ARCHIVED"}, True, id="archived"),
        pytest.param(
            {"RecordState": "ACTIVE", "Compliance": {"Status": "PASSED"}}, True, id="passed"
        ),
        pytest.param(
            {"RecordState": "ACTIVE", "Compliance": {"Status": "FAILED"}}, False, id="open"
        ),
    ],
)
def test_import_reopens(previous: dict[str, object], reopens: bool):
    assert import_reopens(previous) is reopens


@pytest.mark.parametrize(
    ("previous", "expected"),
    [
        pytest.param(None, NOW, id="new-finding-uses-now"),
        pytest.param("2025-01-01T00:00:00.000Z", NOW, id="older-stored-uses-now"),
        pytest.param(
            "2025-01-02T03:04:05.678Z",
            NOW + timedelta(milliseconds=1),
            id="same-instant-moves-ahead",
        ),
        pytest.param(
            "2025-01-02T03:05:00.000Z",
            datetime(2025, 1, 2, 3, 5, 0, 1000, tzinfo=UTC),
            id="clock-behind-stored",
        ),
        pytest.param("garbage", NOW, id="unreadable-stored"),
    ],
)
def test_updated_at_is_strictly_increasing(previous: str | None, expected: datetime):
    assert next_updated_at(NOW, previous) == expected


def test_archive_keeps_only_imported_fields_and_resolves():
    stored = to_asff(_finding(), ROLE, scope=SCOPE, created_at=NOW, updated_at=NOW)
    stored |= {
        "Workflow": {"Status": "NOTIFIED"},
        "Note": {"Text": "customer's", "UpdatedBy": "someone"},
        "ProcessedAt": "2025-01-02T03:04:06.000Z",
        "ProductFields": {
            **stored["ProductFields"],
            "aws/securityhub/FindingId": "x",
            FIELD_ALERT: "new",
        },
    }
    later = NOW + timedelta(hours=1)
    result = archived(stored, updated_at=later)
    assert result["RecordState"] == "ARCHIVED"
    assert result["Compliance"] == {"Status": "PASSED"}
    assert result["UpdatedAt"] == "2025-01-02T04:04:05.678Z"
    assert result["CreatedAt"] == stored["CreatedAt"]
    assert not {"Workflow", "Note", "ProcessedAt"} & result.keys()
    assert "aws/securityhub/FindingId" not in result["ProductFields"]
    assert FIELD_ALERT not in result["ProductFields"]  # archiving never alerts
    assert result["ProductFields"]["trust-auditor/RoleName"] == "partner"


@pytest.mark.parametrize(
    ("text", "limit", "single_line", "expected"),
    [
        pytest.param("a\x00b\x7fc", 10, False, "abc", id="controls-stripped"),
        pytest.param("a\nb", 10, True, "a b", id="single-line"),
        pytest.param("a\nb", 10, False, "a\nb", id="multi-line-kept"),
        pytest.param("abcdef", 4, False, "abc…", id="truncated-with-ellipsis"),
        pytest.param("x\u202ey", 10, False, "xy", id="bidi-override-stripped"),
    ],
)
def test_sanitize(text: str, limit: int, single_line: bool, expected: str):
    assert sanitize(text, limit, single_line=single_line) == expected

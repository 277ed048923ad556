"""The three handlers end to end: CloudTrail-shaped events in, Security Hub findings out."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers.cloudtrail import assume_role_event, repo_event, role_change_event
from tests.integration.conftest import ACCOUNT, Handler
from trust_auditor.events import InvalidEventError

THIRD_PARTY = "444455556666"
OTHER_PARTY = "777788889999"


def _trust(*accounts: str, external_id: str | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": [f"arn:aws:iam::{a}:root" for a in accounts]},
        "Action": "sts:AssumeRole",
    }
    if external_id:
        statement["Condition"] = {"StringEquals": {"sts:ExternalId": external_id}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _findings(securityhub: Any, role_name: str | None = None) -> dict[tuple[str, str], Any]:
    """(rule, principal) -> finding, read back from Security Hub."""
    filters: dict[str, Any] = {"GeneratorId": [{"Value": "trust-auditor/", "Comparison": "PREFIX"}]}
    if role_name:
        prefix = f"trust-auditor/{ACCOUNT}/{role_name}/"
        filters["Id"] = [{"Value": prefix, "Comparison": "PREFIX"}]
    found: dict[tuple[str, str], Any] = {}
    for page in securityhub.get_paginator("get_findings").paginate(Filters=filters):
        for finding in page["Findings"]:
            fields = finding["ProductFields"]
            found[(fields["trust-auditor/Rule"], fields.get("trust-auditor/Principal", ""))] = (
                finding
            )
    return found


def _states(findings: dict[tuple[str, str], Any]) -> dict[tuple[str, str], str]:
    return {key: f["RecordState"] for key, f in findings.items()}


def test_role_lifecycle_create_fix_regress_delete(
    cold_start: Callable[[str], Handler], iam: Any, securityhub: Any
):
    handler = cold_start("role_change")
    iam.create_role(
        RoleName="partner", Path="/vendors/", AssumeRolePolicyDocument=_trust(THIRD_PARTY)
    )

    result = handler.invoke(role_change_event("CreateRole", "partner", ACCOUNT))
    assert [f["rule"] for f in result["findings"]] == ["EXTERNAL_ID_MISSING"]
    created = _findings(securityhub, "partner")
    key = ("EXTERNAL_ID_MISSING", f"arn:aws:iam::{THIRD_PARTY}:root")
    assert _states(created) == {key: "ACTIVE"}
    finding = created[key]
    assert finding["Compliance"] == {"Status": "FAILED"}
    assert finding["Resources"][0]["Id"] == f"arn:aws:iam::{ACCOUNT}:role/vendors/partner"
    assert finding["Resources"][0]["Details"]["AwsIamRole"]["Path"] == "/vendors/"

    # Duplicate delivery: same finding, same CreatedAt, newer UpdatedAt.
    handler.invoke(role_change_event("CreateRole", "partner", ACCOUNT))
    again = _findings(securityhub, "partner")[key]
    assert again["CreatedAt"] == finding["CreatedAt"]
    assert again["UpdatedAt"] > finding["UpdatedAt"]

    iam.update_assume_role_policy(
        RoleName="partner", PolicyDocument=_trust(THIRD_PARTY, external_id="x-1")
    )
    result = handler.invoke(role_change_event("UpdateAssumeRolePolicy", "partner", ACCOUNT))
    assert result["findings"] == [] and result["findings_archived"] == 1
    fixed = _findings(securityhub, "partner")[key]
    assert (fixed["RecordState"], fixed["Compliance"]["Status"]) == ("ARCHIVED", "PASSED")
    assert fixed["UpdatedAt"] > again["UpdatedAt"]

    iam.update_assume_role_policy(RoleName="partner", PolicyDocument=_trust(THIRD_PARTY))
    handler.invoke(role_change_event("UpdateAssumeRolePolicy", "partner", ACCOUNT))
    back = _findings(securityhub, "partner")[key]
    assert back["RecordState"] == "ACTIVE"
    assert back["CreatedAt"] == finding["CreatedAt"]  # first sight is kept

    iam.delete_role(RoleName="partner")
    result = handler.invoke(role_change_event("DeleteRole", "partner", ACCOUNT))
    assert result["findings_archived"] == 1
    assert _states(_findings(securityhub, "partner")) == {key: "ARCHIVED"}


def test_exempt_tag_suppresses_and_its_removal_unsuppresses(
    cold_start: Callable[[str], Handler], iam: Any, securityhub: Any
):
    handler = cold_start("role_change")
    iam.create_role(
        RoleName="vendor",
        AssumeRolePolicyDocument=_trust(THIRD_PARTY),
        Tags=[{"Key": "trust-auditor:exempt", "Value": "contract 2024-17"}],
    )
    result = handler.invoke(role_change_event("CreateRole", "vendor", ACCOUNT))
    assert result["findings_suppressed"] == 1
    [finding] = _findings(securityhub, "vendor").values()
    assert finding["RecordState"] == "ACTIVE"  # still reported
    assert finding["Workflow"]["Status"] == "SUPPRESSED"
    assert "contract 2024-17" in finding["Note"]["Text"]

    # Nothing changed: no second suppression call.
    assert (
        handler.invoke(role_change_event("CreateRole", "vendor", ACCOUNT))["findings_suppressed"]
        == 0
    )

    iam.untag_role(RoleName="vendor", TagKeys=["trust-auditor:exempt"])
    result = handler.invoke(role_change_event("UpdateAssumeRolePolicy", "vendor", ACCOUNT))
    assert result["findings_unsuppressed"] == 1
    [finding] = _findings(securityhub, "vendor").values()
    assert finding["Workflow"]["Status"] == "NEW"


def _tag_change_event(event_file: str, role_name: str) -> dict[str, Any]:
    """events/<event_file> (a TagRole / UntagRole record) about `role_name`."""
    event = repo_event(event_file)
    assert event is not None
    event = copy.deepcopy(event)
    event["detail"]["requestParameters"]["roleName"] = role_name
    return event


def test_our_suppression_is_lifted_when_a_fixed_role_regresses_without_its_tag(
    cold_start: Callable[[str], Handler], iam: Any, securityhub: Any
):
    """Security Hub keeps SUPPRESSED when a finding comes back from ARCHIVED (it resets only
    NOTIFIED / RESOLVED): the suppression this product made must be lifted by it."""
    handler = cold_start("role_change")
    iam.create_role(
        RoleName="vendor",
        AssumeRolePolicyDocument=_trust(THIRD_PARTY),
        Tags=[{"Key": "trust-auditor:exempt", "Value": "contract 2024-17"}],
    )
    assert (
        handler.invoke(role_change_event("CreateRole", "vendor", ACCOUNT))["findings_suppressed"]
        == 1
    )
    iam.update_assume_role_policy(
        RoleName="vendor", PolicyDocument=_trust(THIRD_PARTY, external_id="x-1")
    )
    handler.invoke(role_change_event("UpdateAssumeRolePolicy", "vendor", ACCOUNT))
    [fixed] = _findings(securityhub, "vendor").values()
    assert (fixed["RecordState"], fixed["Workflow"]["Status"]) == ("ARCHIVED", "SUPPRESSED")

    iam.update_assume_role_policy(RoleName="vendor", PolicyDocument=_trust(THIRD_PARTY))
    iam.untag_role(RoleName="vendor", TagKeys=["trust-auditor:exempt"])
    result = handler.invoke(_tag_change_event("role_change_untag_role.json", "vendor"))
    assert result["findings_unsuppressed"] == 1
    [back] = _findings(securityhub, "vendor").values()
    assert (back["RecordState"], back["Workflow"]["Status"]) == ("ACTIVE", "NEW")
    assert back["ProductFields"]["trust-auditor/Alert"] == "new"


def test_delete_event_spelling_the_name_in_another_case_archives_the_findings(
    cold_start: Callable[[str], Handler], iam: Any, securityhub: Any
):
    """IAM role names are not distinguished by case; an event may spell one otherwise."""
    handler = cold_start("role_change")
    iam.create_role(RoleName="Vendor-Partner", AssumeRolePolicyDocument=_trust(THIRD_PARTY))
    handler.invoke(role_change_event("CreateRole", "Vendor-Partner", ACCOUNT))
    [created] = _findings(securityhub, "vendor-partner").values()
    assert created["ProductFields"]["trust-auditor/RoleName"] == "Vendor-Partner"

    iam.delete_role(RoleName="Vendor-Partner")
    result = handler.invoke(role_change_event("DeleteRole", "VENDOR-PARTNER", ACCOUNT))
    assert result["findings_archived"] == 1
    assert _states(_findings(securityhub, "vendor-partner")) == {
        ("EXTERNAL_ID_MISSING", f"arn:aws:iam::{THIRD_PARTY}:root"): "ARCHIVED"
    }


def test_customer_suppression_is_left_alone(
    cold_start: Callable[[str], Handler], iam: Any, securityhub: Any
):
    handler = cold_start("role_change")
    iam.create_role(RoleName="r", AssumeRolePolicyDocument=_trust(THIRD_PARTY))
    handler.invoke(role_change_event("CreateRole", "r", ACCOUNT))
    [finding] = _findings(securityhub, "r").values()
    securityhub.batch_update_findings(
        FindingIdentifiers=[{"Id": finding["Id"], "ProductArn": finding["ProductArn"]}],
        Workflow={"Status": "SUPPRESSED"},
        Note={"Text": "accepted risk", "UpdatedBy": "alice"},
    )
    assert (
        handler.invoke(role_change_event("UpdateAssumeRolePolicy", "r", ACCOUNT))[
            "findings_unsuppressed"
        ]
        == 0
    )
    [finding] = _findings(securityhub, "r").values()
    assert finding["Workflow"]["Status"] == "SUPPRESSED"


def test_failed_call_is_a_deliberate_skip(cold_start: Callable[[str], Handler]):
    handler = cold_start("role_change")
    result = handler.invoke(
        role_change_event("CreateRole", "x", ACCOUNT, error_code="AccessDenied")
    )
    assert result["skipped"] == "failed call: AccessDenied"
    assert handler.calls == []


@pytest.mark.parametrize(
    ("function", "event"),
    [
        pytest.param("role_change", {"detail": {}}, id="role-change-garbage"),
        pytest.param(
            "assume_role", role_change_event("CreateRole", "x", ACCOUNT), id="wrong-source"
        ),
        pytest.param("scan", {"roles": "x"}, id="scan-garbage"),
        pytest.param(
            "role_change", role_change_event("CreateRole", "x", "999999999999"), id="other-account"
        ),
    ],
)
def test_malformed_events_fail_loudly(
    cold_start: Callable[[str], Handler], function: str, event: dict[str, Any]
):
    with pytest.raises(InvalidEventError):
        cold_start(function).invoke(event)


def test_observed_unguarded_assumption(
    cold_start: Callable[[str], Handler], iam: Any, securityhub: Any
):
    handler = cold_start("assume_role")
    role = iam.create_role(RoleName="shared", AssumeRolePolicyDocument=_trust(THIRD_PARTY))["Role"]

    result = handler.invoke(assume_role_event(role["Arn"], THIRD_PARTY))
    assert [f["rule"] for f in result["findings"]] == ["OBSERVED_UNGUARDED_ASSUMPTION"]
    observed = _findings(securityhub, "shared")
    assert set(observed) == {("OBSERVED_UNGUARDED_ASSUMPTION", THIRD_PARTY)}
    finding = observed[("OBSERVED_UNGUARDED_ASSUMPTION", THIRD_PARTY)]
    assert finding["Types"] == ["TTPs/Initial Access"]
    assert finding["ProductFields"]["trust-auditor/CallerAccountId"] == THIRD_PARTY

    # A burst of assumptions reads the role once (cached trust), and an externalId is fine.
    assert (
        handler.invoke(assume_role_event(role["Arn"], THIRD_PARTY, external_id="e"))["findings"]
        == []
    )
    handler.invoke(assume_role_event(role["Arn"], THIRD_PARTY))
    assert handler.calls.count("iam:GetRole") == 1

    # Same-account calls are not cross-account assumptions.
    assert handler.invoke(assume_role_event(role["Arn"], ACCOUNT))["skipped"] == "same-account call"


def test_scan_keeps_observed_findings_until_the_trust_is_guarded(
    cold_start: Callable[[str], Handler], iam: Any, securityhub: Any
):
    role = iam.create_role(RoleName="shared", AssumeRolePolicyDocument=_trust(THIRD_PARTY))["Role"]
    cold_start("assume_role").invoke(assume_role_event(role["Arn"], THIRD_PARTY))
    scan = cold_start("scan")
    scan.invoke({})
    assert _states(_findings(securityhub, "shared")) == {
        ("OBSERVED_UNGUARDED_ASSUMPTION", THIRD_PARTY): "ACTIVE",
        ("EXTERNAL_ID_MISSING", f"arn:aws:iam::{THIRD_PARTY}:root"): "ACTIVE",
    }
    iam.update_assume_role_policy(
        RoleName="shared", PolicyDocument=_trust(THIRD_PARTY, external_id="e")
    )
    result = scan.invoke({})
    assert result["findings_archived"] == 2
    assert set(_states(_findings(securityhub, "shared")).values()) == {"ARCHIVED"}


def test_full_named_and_dry_run_scans(
    cold_start: Callable[[str], Handler], iam: Any, securityhub: Any
):
    for name, accounts in {"a": (THIRD_PARTY,), "b": (OTHER_PARTY,), "c": (ACCOUNT,)}.items():
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(*accounts))
    scan = cold_start("scan")

    dry = scan.invoke({"dry_run": True})
    assert (dry["dry_run"], dry["roles_audited"], dry["findings"]) == (True, 3, 2)
    assert sorted(r["role_name"] for r in dry["roles"]) == ["a", "b"]
    assert not any(call.startswith("securityhub:") for call in scan.calls)
    assert _findings(securityhub) == {}

    full = scan.invoke({})
    assert (full["roles_audited"], full["findings_imported"]) == (3, 2)
    assert "iam:GetAccountAuthorizationDetails" in scan.calls

    # Deleted behind our back (missed event): the next full scan archives its findings.
    iam.delete_role(RoleName="a")
    assert scan.invoke({})["findings_archived"] == 1

    # A named scan only touches the roles it names.
    iam.update_assume_role_policy(RoleName="b", PolicyDocument=_trust(ACCOUNT))
    named = scan.invoke({"roles": ["b", "never-existed"]})
    assert (named["roles_audited"], named["findings_archived"]) == (1, 1)
    assert set(_states(_findings(securityhub)).values()) == {"ARCHIVED"}


@pytest.mark.parametrize(
    ("function", "event_file", "setup"),
    [
        pytest.param(
            "role_change",
            "role_change_create_role.json",
            "stratus-red-team-malicious-iam-role",
            id="create-role",
        ),
        pytest.param(
            "role_change",
            "role_change_update_assume_role_policy.json",
            "stratus-red-team-backdoor-r-role",
            id="update-assume-role-policy",
        ),
        pytest.param("role_change", "role_change_delete_role.json", None, id="delete-role"),
        pytest.param(
            "role_change", "role_change_untag_role.json", "vendor-integration", id="untag-role"
        ),
        pytest.param("role_change", "role_change_failed_call.json", None, id="failed-call"),
        pytest.param("assume_role", "assume_role_cross_account.json", "EC2-dev", id="assume-role"),
    ],
)
def test_repo_event_files_run_end_to_end(
    cold_start: Callable[[str], Handler],
    iam: Any,
    function: str,
    event_file: str,
    setup: str | None,
):
    event = repo_event(event_file)
    if event is None:
        pytest.skip(f"events/{event_file} is not written yet")
    if setup:
        iam.create_role(RoleName=setup, AssumeRolePolicyDocument=_trust(THIRD_PARTY))
    result = cold_start(function).invoke(event)
    assert result["event_id"] == event["id"]
    if setup:
        assert result["findings"], "a role trusting a third party without a guard has findings"

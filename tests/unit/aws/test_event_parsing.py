from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.helpers.cloudtrail import REPO, SHARED_EVENTS, envelope, shared_record
from trust_auditor.events import (
    InvalidEventError,
    parse_assume_role_event,
    parse_role_change_event,
    parse_scan_request,
)

CREATE = "iam_CreateRole__stratus_real_anonymized.json"
UPDATE = "iam_UpdateAssumeRolePolicy__stratus_real_anonymized.json"
DELETE_ENVELOPE = "iam_DeleteRole__eventbridge_envelope__rust_fixture_real.json"
SSO_CREATE = "iam_CreateRole_by_IAMIdentityCenter_statement_is_object__redacted_real.json"
CROSS_WITH_ID = (
    "sts_AssumeRole_cross_account_with_externalId__role_account_side__cloudsnitch_real.json"
)
CROSS_NO_ID = "sts_AssumeRole_cross_account_no_externalId__role_account_side__awsdocs_example.json"
SERVICE = "sts_AssumeRole_by_aws_service_principal_with_externalId__cloudsnitch_real.json"
SAME_ACCOUNT = "sts_AssumeRole_same_account__stratus_real_anonymized.json"
REPO_EVENTS = REPO / "events"


def _with(record: dict[str, Any], **changes: Any) -> dict[str, Any]:
    changed = copy.deepcopy(record)
    changed.update(changes)
    return changed


@pytest.mark.parametrize(
    ("source", "event_name", "role_name", "account"),
    [
        pytest.param(
            CREATE,
            "CreateRole",
            "stratus-red-team-malicious-iam-role",
            "609418236337",
            id="create-role",
        ),
        pytest.param(
            UPDATE,
            "UpdateAssumeRolePolicy",
            "stratus-red-team-backdoor-r-role",
            "751203476945",
            id="update-assume-role-policy",
        ),
        pytest.param(
            DELETE_ENVELOPE, "DeleteRole", "practicum_test_role1", "014824332634", id="delete-role"
        ),
    ],
)
def test_role_change_events_parse(source: str, event_name: str, role_name: str, account: str):
    event = envelope(shared_record(source), event_id="evt-1")
    parsed = parse_role_change_event(event)
    assert (parsed.event_name, parsed.role_name, parsed.account_id) == (
        event_name,
        role_name,
        account,
    )
    assert parsed.event_id == "evt-1"
    assert parsed.error_code is None


@pytest.mark.parametrize(
    ("event_name", "parameters"),
    [
        pytest.param(
            "TagRole",
            {"roleName": "vendor-integration", "tags": [{"key": "trust-auditor:exempt"}]},
            id="tag-role",
        ),
        pytest.param(
            "UntagRole",
            {"roleName": "vendor-integration", "tagKeys": ["trust-auditor:exempt"]},
            id="untag-role",
        ),
    ],
)
def test_tag_changes_are_role_changes(event_name: str, parameters: dict[str, Any]):
    """The exempt tag takes effect at once: TagRole / UntagRole re-audit the role."""
    event = json.loads((REPO_EVENTS / "role_change_untag_role.json").read_text())
    event["detail"] |= {"eventName": event_name, "requestParameters": parameters}
    parsed = parse_role_change_event(event)
    assert (parsed.event_name, parsed.role_name, parsed.account_id) == (
        event_name,
        "vendor-integration",
        "111122223333",
    )
    assert parsed.cloudtrail_event_id == event["detail"]["eventID"]


def test_real_eventbridge_envelope_parses_as_is():
    event = json.loads((SHARED_EVENTS / DELETE_ENVELOPE).read_text())
    parsed = parse_role_change_event(event)
    assert parsed.event_id == "526b0c94-6818-c31d-4a54-2c1a27d69703"
    assert parsed.cloudtrail_event_id == "04856c00-ba33-4dc0-8030-9332c09464e3"


def test_failed_call_parses_with_its_error_code():
    record = _with(shared_record(CREATE), errorCode="EntityAlreadyExists")
    assert parse_role_change_event(envelope(record)).error_code == "EntityAlreadyExists"


@pytest.mark.parametrize(
    ("event", "message"),
    [
        pytest.param({"detail": {}}, "CloudTrail event", id="missing-envelope-fields"),
        pytest.param(["not", "a", "mapping"], "not a JSON object", id="not-an-object"),
        pytest.param(
            envelope(shared_record(CROSS_NO_ID)),
            "expected source 'aws.iam'",
            id="sts-event-to-iam-function",
        ),
        pytest.param(
            envelope(_with(shared_record(CREATE), eventName="AttachRolePolicy")),
            "not a role change",
            id="other-iam-call",
        ),
        pytest.param(
            envelope(_with(shared_record(CREATE), requestParameters={})),
            "roleName",
            id="no-role-name",
        ),
        pytest.param(
            envelope(_with(shared_record(CREATE), requestParameters={"roleName": "bad/name"})),
            "roleName",
            id="invalid-role-name",
        ),
        pytest.param(
            envelope(_with(shared_record(CREATE), recipientAccountId="<ACCT>")),
            "recipient account",
            id="redacted-account",
        ),
    ],
)
def test_malformed_role_change_events_fail_loudly(event: Any, message: str):
    with pytest.raises(InvalidEventError, match=message):
        parse_role_change_event(event)


def test_sso_record_with_redacted_account_is_rejected_not_guessed():
    with pytest.raises(InvalidEventError):
        parse_role_change_event(envelope(shared_record(SSO_CREATE)))


@pytest.mark.parametrize(
    ("source", "caller", "external_id_present"),
    [
        pytest.param(CROSS_WITH_ID, "774305579662", True, id="with-external-id"),
        pytest.param(CROSS_NO_ID, "777788889999", False, id="without-external-id"),
    ],
)
def test_assume_role_events_parse(source: str, caller: str, external_id_present: bool):
    record = shared_record(source)
    record.setdefault("recipientAccountId", record["requestParameters"]["roleArn"].split(":")[4])
    parsed = parse_assume_role_event(envelope(record))
    assert parsed.caller_account_id == caller
    assert parsed.external_id_present is external_id_present
    assert parsed.role_arn == record["requestParameters"]["roleArn"]
    assert parsed.source_ip == record["sourceIPAddress"]
    assert parsed.cloudtrail_event_id == record["eventID"]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        pytest.param(shared_record(SERVICE), "AWSService", id="service-caller-filtered-by-rule"),
        pytest.param(shared_record(SAME_ACCOUNT), "not AWSAccount", id="iam-user-caller"),
        pytest.param(
            _with(shared_record(CROSS_NO_ID), requestParameters={}), "roleArn", id="no-role-arn"
        ),
        pytest.param(
            _with(shared_record(CROSS_NO_ID), eventName="GetCallerIdentity"),
            "not an AssumeRole",
            id="other-sts-call",
        ),
    ],
)
def test_assume_role_events_the_rule_should_have_filtered_raise(
    record: dict[str, Any], message: str
):
    record.setdefault("recipientAccountId", "111122223333")
    with pytest.raises(InvalidEventError, match=message):
        parse_assume_role_event(envelope(record))


@pytest.mark.parametrize(
    ("event", "roles", "dry_run"),
    [
        pytest.param({}, None, False, id="empty-full-scan"),
        pytest.param({"roles": ["a", "b"]}, ("a", "b"), False, id="named-roles"),
        pytest.param({"dry_run": True}, None, True, id="dry-run"),
        pytest.param(
            {
                "version": "0",
                "id": "x",
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "detail": {},
            },
            None,
            False,
            id="scheduled-event",
        ),
    ],
)
def test_scan_requests_parse(event: dict[str, Any], roles: tuple[str, ...] | None, dry_run: bool):
    request = parse_scan_request(event)
    assert (request.roles, request.dry_run) == (roles, dry_run)


@pytest.mark.parametrize(
    "event",
    [
        pytest.param({"role": ["a"]}, id="typo-in-option-is-not-a-full-scan"),
        pytest.param({"roles": []}, id="empty-role-list"),
        pytest.param({"roles": "a"}, id="roles-not-a-list"),
        pytest.param({"dry_run": "true"}, id="dry-run-not-a-bool"),
        pytest.param({"roles": ["bad/name"]}, id="invalid-role-name"),
    ],
)
def test_bad_scan_requests_fail_loudly(event: dict[str, Any]):
    with pytest.raises(InvalidEventError):
        parse_scan_request(event)

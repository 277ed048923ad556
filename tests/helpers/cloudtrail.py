"""EventBridge envelopes around the CloudTrail records in /work/shared/events (their shapes),
and the repo's events/*.json when present."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
SHARED_EVENTS = REPO.parent / "shared" / "events"


def shared_record(name: str) -> dict[str, Any]:
    data = json.loads((SHARED_EVENTS / name).read_text())
    record = data[0] if isinstance(data, list) else data
    return dict(record.get("detail", record))


def envelope(record: dict[str, Any], *, event_id: str = "11111111-2222-3333-4444-555555555555"):
    source = "aws." + record["eventSource"].split(".", 1)[0]
    return {
        "version": "0",
        "id": event_id,
        "detail-type": "AWS API Call via CloudTrail",
        "source": source,
        "account": record.get("recipientAccountId", "123456789012"),
        "time": record["eventTime"],
        "region": "us-east-1",
        "resources": [],
        "detail": record,
    }


def role_change_event(
    event_name: str, role_name: str, account_id: str, *, error_code: str | None = None
) -> dict[str, Any]:
    """A role change shaped like the real records (CreateRole / UpdateAssumeRolePolicy /
    DeleteRole from the stratus and rust fixtures) for this role and account."""
    source_file = {
        "CreateRole": "iam_CreateRole__stratus_real_anonymized.json",
        "UpdateAssumeRolePolicy": "iam_UpdateAssumeRolePolicy__stratus_real_anonymized.json",
        "DeleteRole": "iam_DeleteRole__eventbridge_envelope__rust_fixture_real.json",
    }[event_name]
    record = copy.deepcopy(shared_record(source_file))
    record["requestParameters"]["roleName"] = role_name
    record["recipientAccountId"] = account_id
    record["awsRegion"] = "us-east-1"
    if error_code:
        record["errorCode"] = error_code
        record["errorMessage"] = "injected"
    return envelope(record)


def assume_role_event(
    role_arn: str, caller_account_id: str, *, external_id: str | None = None
) -> dict[str, Any]:
    """A cross-account AssumeRole as logged in the role owner's account (AWS doc example)."""
    record = copy.deepcopy(
        shared_record(
            "sts_AssumeRole_cross_account_no_externalId__role_account_side__awsdocs_example.json"
        )
    )
    record["requestParameters"]["roleArn"] = role_arn
    record["userIdentity"]["accountId"] = caller_account_id
    record["recipientAccountId"] = role_arn.split(":")[4]
    if external_id is not None:
        record["requestParameters"]["externalId"] = external_id
    return envelope(record)


def repo_event(name: str) -> dict[str, Any] | None:
    path = REPO / "events" / name
    return json.loads(path.read_text()) if path.exists() else None

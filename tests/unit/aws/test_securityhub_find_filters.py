"""SecurityHubPublisher.find lets Security Hub select the findings: each option becomes a
GetFindings filter, on every page. A botocore Stubber checks the exact request (and that it is
valid for the service model), since moto ignores GetFindings filters."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from trust_auditor.aws.securityhub import SecurityHubPublisher

ACCOUNT = "111122223333"
PRODUCT = f"arn:aws:securityhub:us-east-1:{ACCOUNT}:product/{ACCOUNT}/default"


def _equals(*values: str) -> list[dict[str, str]]:
    return [{"Value": value, "Comparison": "EQUALS"} for value in values]


OWN_FINDINGS = {
    "ProductArn": _equals(PRODUCT),
    "AwsAccountId": _equals(ACCOUNT),
    "GeneratorId": [{"Value": "trust-auditor/", "Comparison": "PREFIX"}],
}


def _client() -> Any:
    return boto3.client(
        "securityhub",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.mark.parametrize(
    ("options", "filters"),
    [
        pytest.param({}, OWN_FINDINGS, id="no-option-every-finding-of-this-product"),
        pytest.param(
            {"rules": ["PUBLIC_TRUST", "EXTERNAL_ID_MISSING"]},
            {
                **OWN_FINDINGS,
                "GeneratorId": _equals(
                    "trust-auditor/PUBLIC_TRUST", "trust-auditor/EXTERNAL_ID_MISSING"
                ),
            },
            id="rules-replace-the-generator-prefix",
        ),
        pytest.param(
            {"severities": ["CRITICAL", "LOW"]},
            {**OWN_FINDINGS, "SeverityLabel": _equals("CRITICAL", "LOW")},
            id="severities",
        ),
        pytest.param(
            {"workflow_statuses": ["NEW", "NOTIFIED"]},
            {**OWN_FINDINGS, "WorkflowStatus": _equals("NEW", "NOTIFIED")},
            id="workflow-statuses",
        ),
        pytest.param(
            {"record_state": "ARCHIVED"},
            {**OWN_FINDINGS, "RecordState": _equals("ARCHIVED")},
            id="record-state",
        ),
        pytest.param(
            {"finding_ids": ["id-1", "id-2"]},
            {**OWN_FINDINGS, "Id": _equals("id-1", "id-2")},
            id="finding-ids",
        ),
        pytest.param(
            {
                "role_name": "partner",
                "rules": ["PUBLIC_TRUST", "PUBLIC_TRUST"],
                "severities": ["HIGH", "HIGH"],
                "workflow_statuses": ["SUPPRESSED"],
                "record_state": "ACTIVE",
            },
            {
                **OWN_FINDINGS,
                "Id": [{"Value": f"trust-auditor/{ACCOUNT}/partner/", "Comparison": "PREFIX"}],
                "GeneratorId": _equals("trust-auditor/PUBLIC_TRUST"),
                "SeverityLabel": _equals("HIGH"),
                "WorkflowStatus": _equals("SUPPRESSED"),
                "RecordState": _equals("ACTIVE"),
            },
            id="all-together-each-value-once",
        ),
    ],
)
def test_get_findings_carries_the_filters(options: dict[str, Any], filters: Any) -> None:
    client = _client()
    found = {"Findings": [], "NextToken": "page-2"}
    with Stubber(client) as stubber:
        stubber.add_response("get_findings", found, {"Filters": filters, "MaxResults": 100})
        stubber.add_response(
            "get_findings",
            {"Findings": []},
            {"Filters": filters, "MaxResults": 100, "NextToken": "page-2"},
        )
        assert (
            SecurityHubPublisher(client).find(product_arn=PRODUCT, account_id=ACCOUNT, **options)
            == []
        )
        stubber.assert_no_pending_responses()


def test_no_finding_ids_asks_nothing() -> None:
    client = _client()
    with Stubber(client):  # any call would fail: no response is queued
        assert (
            SecurityHubPublisher(client).find(
                product_arn=PRODUCT, account_id=ACCOUNT, finding_ids=[]
            )
            == []
        )

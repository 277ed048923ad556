from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.helpers.api_calls import DropFindings, Throttle
from tests.helpers.moto_securityhub import install_securityhub_workarounds
from trust_auditor.asff import FindingScope, WorkflowChange, finding_id
from trust_auditor.aws.iam import IamRoleInventory, IamRoleReader
from trust_auditor.aws.organizations import OrganizationReader
from trust_auditor.aws.securityhub import PublishError, SecurityHubPublisher

ACCOUNT = "123456789012"  # moto's default account
SCOPE = FindingScope(ACCOUNT, "aws", "us-east-1")
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "444455556666"}, "Action": "sts:AssumeRole"}
        ],
    }
)


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def securityhub(aws: None) -> Any:
    client = boto3.client("securityhub", region_name="us-east-1")
    install_securityhub_workarounds(client)
    return client


def _asff(role: str, n: int, **changes: Any) -> dict[str, Any]:
    finding = {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id(ACCOUNT, role, "PUBLIC_TRUST", str(n)),
        "ProductArn": SCOPE.product_arn,
        "GeneratorId": "trust-auditor/PUBLIC_TRUST",
        "AwsAccountId": ACCOUNT,
        "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
        "CreatedAt": "2025-01-01T00:00:00.000Z",
        "UpdatedAt": "2025-01-01T00:00:00.000Z",
        "Severity": {"Label": "CRITICAL"},
        "Title": "t",
        "Description": "d",
        "Resources": [{"Type": "AwsIamRole", "Id": f"arn:aws:iam::{ACCOUNT}:role/{role}"}],
        "RecordState": "ACTIVE",
    }
    finding.update(changes)
    return finding


def _no_sleep() -> tuple[list[float], dict[str, Any]]:
    sleeps: list[float] = []
    return sleeps, {"sleep": sleeps.append, "jitter": lambda: 1.0}


def test_import_batches_by_100_and_find_filters_by_role(securityhub: Any):
    calls: list[int] = []
    securityhub.meta.events.register(
        "before-parameter-build.securityhub.BatchImportFindings",
        lambda params, **_: calls.append(len(params["Findings"])),
    )
    publisher = SecurityHubPublisher(securityhub)
    findings = [_asff("a", n) for n in range(150)] + [_asff("ab", 0)]
    assert publisher.import_findings(findings) == 151
    assert calls == [100, 51]
    found = publisher.find(product_arn=SCOPE.product_arn, account_id=ACCOUNT, role_name="a")
    assert len(found) == 150  # followed NextToken; "ab" is not "a"
    securityhub.batch_import_findings(
        Findings=[_asff("other", 0, GeneratorId="another-tool/x", Id="another-tool-1")]
    )
    everything = publisher.find(product_arn=SCOPE.product_arn, account_id=ACCOUNT)
    assert len(everything) == 151


def test_throttling_is_retried_with_growing_jittered_backoff(securityhub: Any):
    throttle = Throttle(times=3)
    securityhub.meta.events.register("before-call.securityhub.BatchImportFindings", throttle)
    sleeps, timing = _no_sleep()
    publisher = SecurityHubPublisher(securityhub, base_delay=0.5, max_delay=1.5, **timing)
    publisher.import_findings([_asff("a", 0)])
    assert sleeps == [0.5, 1.0, 1.5]
    assert len(publisher.find(product_arn=SCOPE.product_arn, account_id=ACCOUNT)) == 1


def test_findings_the_service_rejects_are_reported_not_retried(securityhub: Any):
    rejected = [_asff("a", n)["Id"] for n in range(0, 120, 7)]
    dropper = DropFindings(select=set(rejected).__contains__, times=99)  # -> InvalidInput
    dropper.install(securityhub)
    sleeps, timing = _no_sleep()
    findings = [_asff("a", n) for n in range(120)]
    with pytest.raises(PublishError) as raised:
        SecurityHubPublisher(securityhub, **timing).import_findings(findings)
    assert raised.value.failed_ids == tuple(rejected)
    assert rejected[0] in str(raised.value)
    assert (dropper.dropped, sleeps) == (rejected, [])  # sent once: resending cannot help
    stored = {
        f["Id"]
        for page in securityhub.get_paginator("get_findings").paginate()
        for f in page["Findings"]
    }
    assert stored == {f["Id"] for f in findings} - set(rejected)


def test_non_retryable_errors_raise_at_once(securityhub: Any):
    throttle = Throttle(times=1, code="AccessDeniedException")
    securityhub.meta.events.register("before-call.securityhub.BatchImportFindings", throttle)
    sleeps, timing = _no_sleep()
    with pytest.raises(PublishError, match="AccessDeniedException"):
        SecurityHubPublisher(securityhub, **timing).import_findings([_asff("a", 0)])
    assert (throttle.calls, sleeps) == (1, [])


def test_workflow_updates_are_grouped_by_status_and_note(securityhub: Any):
    publisher = SecurityHubPublisher(securityhub)
    publisher.import_findings([_asff("a", n) for n in range(3)])
    changes = [
        WorkflowChange(_asff("a", 0)["Id"], SCOPE.product_arn, "SUPPRESSED", "why"),
        WorkflowChange(_asff("a", 1)["Id"], SCOPE.product_arn, "SUPPRESSED", "why"),
        WorkflowChange(_asff("a", 2)["Id"], SCOPE.product_arn, "NEW", "back"),
    ]
    calls: list[str] = []
    securityhub.meta.events.register(
        "before-parameter-build.securityhub.BatchUpdateFindings",
        lambda params, **_: calls.append(params["Workflow"]["Status"]),
    )
    assert publisher.update_workflow(changes) == 3
    assert sorted(calls) == ["NEW", "SUPPRESSED"]
    by_id = {f["Id"]: f for f in publisher.find(product_arn=SCOPE.product_arn, account_id=ACCOUNT)}
    assert by_id[_asff("a", 0)["Id"]]["Workflow"] == {"Status": "SUPPRESSED"}
    assert by_id[_asff("a", 0)["Id"]]["Note"]["UpdatedBy"] == "trust-auditor"


def test_workflow_update_of_unknown_finding_raises(securityhub: Any):
    _, timing = _no_sleep()
    publisher = SecurityHubPublisher(securityhub, max_attempts=2, **timing)
    with pytest.raises(PublishError, match="FindingNotFound"):
        publisher.update_workflow([WorkflowChange("nope", SCOPE.product_arn, "NEW", "x")])


def test_get_role_reads_tags_and_missing_role_is_none(aws: None):
    iam = boto3.client("iam")
    iam.create_role(
        RoleName="app",
        Path="/svc/",
        AssumeRolePolicyDocument=TRUST,
        Tags=[{"Key": "trust-auditor:exempt", "Value": "ticket 1"}],
    )
    reader = IamRoleReader(iam)
    role = reader.get_role("app")
    assert role is not None
    assert (role.arn, role.path, role.exemption_reason) == (
        f"arn:aws:iam::{ACCOUNT}:role/svc/app",
        "/svc/",
        "ticket 1",
    )
    assert role.trust_policy["Statement"][0]["Principal"] == {"AWS": "444455556666"}
    assert reader.get_role("gone") is None


class _PagedIam:
    """GetAccountAuthorizationDetails pages (moto never paginates)."""

    def __init__(self, pages: list[dict[str, Any]]) -> None:
        self.pages = pages
        self.markers: list[str | None] = []

    def get_account_authorization_details(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs["Filter"] == ["Role"]
        self.markers.append(kwargs.get("Marker"))
        return self.pages[len(self.markers) - 1]


def _role_detail(name: str) -> dict[str, Any]:
    return {
        "Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}",
        "RoleName": name,
        "Path": "/",
        "AssumeRolePolicyDocument": {},
    }


def test_inventory_follows_is_truncated_and_marker():
    iam = _PagedIam(
        [
            {"RoleDetailList": [_role_detail("a")], "IsTruncated": True, "Marker": "m1"},
            {"RoleDetailList": [], "IsTruncated": True, "Marker": "m2"},
            {"RoleDetailList": [_role_detail("b")], "IsTruncated": False},
        ]
    )
    names = [r.name for r in IamRoleInventory(iam).iter_roles()]  # type: ignore[arg-type]
    assert names == ["a", "b"]
    assert iam.markers == [None, "m1", "m2"]


def test_inventory_reads_moto_roles(aws: None):
    iam = boto3.client("iam")
    for name in ("x", "y"):
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    assert sorted(r.name for r in IamRoleInventory(iam).iter_roles()) == ["x", "y"]


def test_organization_unknown_when_not_in_use(aws: None):
    info = OrganizationReader(boto3.client("organizations")).describe()
    assert (info.org_id, info.account_ids) == (None, frozenset())


def test_organization_id_and_accounts(aws: None):
    org = boto3.client("organizations")
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    member = org.create_account(AccountName="m", Email="m@example.com")
    member_id = org.describe_create_account_status(
        CreateAccountRequestId=member["CreateAccountStatus"]["Id"]
    )["CreateAccountStatus"]["AccountId"]
    info = OrganizationReader(org).describe()
    assert info.org_id == org_id
    assert info.account_ids == {ACCOUNT, member_id}


class _OrgStub:
    def __init__(self, pages: list[dict[str, Any]] | None, error: str | None = None) -> None:
        self.pages, self.error, self.tokens = pages or [], error, []

    def describe_organization(self) -> dict[str, Any]:
        return {"Organization": {"Id": "o-abcdefghij"}}

    def list_accounts(self, **kwargs: Any) -> dict[str, Any]:
        if self.error:
            raise ClientError({"Error": {"Code": self.error, "Message": "x"}}, "ListAccounts")
        self.tokens.append(kwargs.get("NextToken"))
        return self.pages[len(self.tokens) - 1]


def test_list_accounts_follows_empty_pages_and_uses_state():
    stub = _OrgStub(
        [
            {"Accounts": [], "NextToken": "t1"},
            {
                "Accounts": [
                    {"Id": "111111111111", "State": "ACTIVE", "Status": "ACTIVE"},
                    {"Id": "222222222222", "State": "SUSPENDED", "Status": "SUSPENDED"},
                ],
                "NextToken": "t2",
            },
            {"Accounts": [{"Id": "333333333333", "State": "CLOSED", "Status": "SUSPENDED"}]},
        ]
    )
    info = OrganizationReader(stub).describe()  # type: ignore[arg-type]
    assert info.account_ids == {"111111111111", "222222222222"}
    assert stub.tokens == [None, "t1", "t2"]


@pytest.mark.parametrize(
    ("error", "unknown"),
    [
        pytest.param("AccessDeniedException", True, id="member-account-cannot-list"),
        pytest.param("TooManyRequestsException", False, id="throttling-raises"),
    ],
)
def test_list_accounts_errors(error: str, unknown: bool):
    reader = OrganizationReader(_OrgStub(None, error))  # type: ignore[arg-type]
    if unknown:
        info = reader.describe()
        assert (info.org_id, info.account_ids) == ("o-abcdefghij", frozenset())
    else:
        with pytest.raises(ClientError):
            reader.describe()


@pytest.mark.parametrize(
    "filters",
    [
        pytest.param({"Title": [{"Value": "t", "Comparison": "EQUALS"}]}, id="field"),
        pytest.param(
            {"SeverityLabel": [{"Value": "HIGH", "Comparison": "CONTAINS"}]}, id="comparison"
        ),
        pytest.param(
            {"ProductFields": [{"Key": "k", "Value": "v", "Comparison": "NOT_EQUALS"}]},
            id="map-comparison",
        ),
    ],
)
def test_the_moto_workaround_refuses_a_filter_it_does_not_apply(securityhub: Any, filters: Any):
    """Even with no finding to filter: ignoring it would let a test see too many findings."""
    with pytest.raises(NotImplementedError, match="moto workaround"):
        securityhub.get_findings(Filters=filters)


def test_find_by_finding_ids_reads_only_those_findings(securityhub: Any):
    publisher = SecurityHubPublisher(securityhub)
    publisher.import_findings([_asff("a", n) for n in range(3)] + [_asff("b", 0)])
    wanted = [_asff("a", 1)["Id"], _asff("b", 0)["Id"]]
    found = publisher.find(product_arn=SCOPE.product_arn, account_id=ACCOUNT, finding_ids=wanted)
    assert sorted(f["Id"] for f in found) == sorted(wanted)
    assert publisher.find(product_arn=SCOPE.product_arn, account_id=ACCOUNT, finding_ids=[]) == []
    with pytest.raises(ValueError, match="not both"):
        publisher.find(
            product_arn=SCOPE.product_arn, account_id=ACCOUNT, role_name="a", finding_ids=wanted
        )

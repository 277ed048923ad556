from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType
from typing import Any

import pytest
from moto import mock_aws

from trust_auditor.asff import FindingScope
from trust_auditor.audit import AccountMismatchError, Auditor, OrgContext, RoleAudit
from trust_auditor.aws import AwsClients, build_auditor, org_context, required_actions
from trust_auditor.aws.organizations import OrganizationInfo
from trust_auditor.roles import RoleRecord
from trust_auditor.settings import Settings

EVENT_ACTIONS = {
    "iam:GetRole",
    "securityhub:GetFindings",
    "securityhub:BatchImportFindings",
    "securityhub:BatchUpdateFindings",
    "sts:GetCallerIdentity",
    "organizations:DescribeOrganization",
    "organizations:ListAccounts",
}


def test_required_actions_per_function():
    assert required_actions() == EVENT_ACTIONS
    assert required_actions(full_scan=True) == EVENT_ACTIONS | {
        "iam:GetAccountAuthorizationDetails"
    }


class _Organization:
    def __init__(self) -> None:
        self.calls = 0

    def describe(self) -> OrganizationInfo:
        self.calls += 1
        return OrganizationInfo("o-lookedupone", frozenset({"222233334444"}))


@pytest.mark.parametrize(
    ("environ", "expected", "lookups"),
    [
        pytest.param({}, ("o-lookedupone", {"222233334444"}), 1, id="all-looked-up"),
        pytest.param(
            {"ORG_ID": "o-settingsone"},
            ("o-settingsone", {"222233334444"}),
            1,
            id="settings-win-lookup-fills-accounts",
        ),
        pytest.param(
            {"ORG_ID": "o-settingsone", "ORG_ACCOUNT_IDS": "333344445555"},
            ("o-settingsone", {"333344445555"}),
            0,
            id="fully-configured-no-lookup",
        ),
        pytest.param({"LOOKUP_ORGANIZATION": "false"}, (None, set()), 0, id="lookup-disabled"),
    ],
)
def test_org_context_merges_settings_and_lookup(
    environ: dict[str, str], expected: tuple[str | None, set[str]], lookups: int
):
    organization = _Organization()
    settings = Settings.from_environ(
        {"AWS_REGION": "us-east-1", "TRUSTED_ACCOUNT_IDS": "999988887777", **environ}
    )
    context = org_context(settings, organization)  # type: ignore[arg-type]
    assert (context.org_id, set(context.org_account_ids)) == expected
    assert context.trusted_account_ids == {"999988887777"}
    assert organization.calls == lookups


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


def test_identity_and_org_are_looked_up_once_per_cold_start(aws: None):
    settings = Settings.from_environ({"AWS_REGION": "eu-west-1", "HOME_REGION": "us-east-1"})
    clients = AwsClients.create(settings.home_region)
    calls: list[str] = []
    for client in (clients.sts, clients.organizations):
        client.meta.events.register("before-call", lambda model, **_: calls.append(model.name))
    auditor = build_auditor(settings, clients)
    assert calls == []  # nothing at import time
    for _ in range(2):
        assert auditor.scope() == FindingScope("123456789012", "aws", "us-east-1")
        assert auditor.org() == OrgContext()
    assert calls == ["GetCallerIdentity", "DescribeOrganization"]


def test_publishing_another_accounts_roles_is_refused():
    role = RoleRecord(
        arn="arn:aws:iam::999999999999:role/x",
        name="x",
        path="/",
        account_id="999999999999",
        role_id=None,
        trust_policy={},
        tags=MappingProxyType({}),
    )
    publisher: Any = object()  # never reached
    auditor = Auditor(
        roles=publisher,
        publisher=publisher,
        scope=lambda: FindingScope("111122223333", "aws", "us-east-1"),
        org_context=OrgContext,
    )
    with pytest.raises(AccountMismatchError, match="999999999999"):
        auditor.publish_scan([RoleAudit(role, ())], full_scan=False)

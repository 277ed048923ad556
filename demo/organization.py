"""The demo's organization and the IAM roles of our account, 111122223333.

The five patterns of the cross-account roles article, each guarded and misconfigured, a public
role, a vendor role exempted by tag, and the roles the `events/` payloads name in the state
they were in before the recorded call (the CreateRole event's role is created by its replay).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from trust_auditor.roles import EXEMPT_TAG

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

REGION = "us-east-1"
ORG_ID = "o-exampleorg1"
OUR_ACCOUNT = "111122223333"
DEVOPS_ACCOUNT = "222233334444"
SECURITY_ACCOUNT = "333344445555"
WORKLOAD_ACCOUNT = "555566667777"
LOG_ARCHIVE_ACCOUNT = "666677778888"
ORG_ACCOUNTS = (
    OUR_ACCOUNT,
    DEVOPS_ACCOUNT,
    SECURITY_ACCOUNT,
    WORKLOAD_ACCOUNT,
    LOG_ARCHIVE_ACCOUNT,
)
PARTNER_ACCOUNT = "444455556666"
VENDOR_ACCOUNT = "999900001111"

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_PROVIDER = f"arn:aws:iam::{OUR_ACCOUNT}:oidc-provider/{GITHUB_OIDC_HOST}"
# GitHub's published thumbprint; IAM no longer checks it for this provider but requires one.
GITHUB_OIDC_THUMBPRINT = "6938fd4d98bab03faadb97b34396831e3780aea1"
PARTNER_EXTERNAL_ID = "c7f2e1a0-9b1d-4f5e-8a3c-partner01"
# The external id the partner passes in events/assume_role_cross_account_with_external_id.json.
INTEGRATION_EXTERNAL_ID = "t-fZFf5o79ZxjFhK8XnfLRCD"

_ORG_GUARD = {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}


def _root(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


def _trust(
    principal: Mapping[str, Any],
    condition: Mapping[str, Any] | None = None,
    action: str = "sts:AssumeRole",
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": dict(principal), "Action": action}
    if condition is not None:
        statement["Condition"] = dict(condition)
    return statement


def _github(sub_condition: Mapping[str, Any]) -> dict[str, Any]:
    audience = {f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com"}
    condition: dict[str, Any] = {"StringEquals": audience}
    for operator, values in sub_condition.items():
        condition[operator] = {**condition.get(operator, {}), **values}
    return _trust(
        {"Federated": GITHUB_OIDC_PROVIDER}, condition, action="sts:AssumeRoleWithWebIdentity"
    )


@dataclass(frozen=True, slots=True)
class DemoRole:
    name: str
    description: str
    statements: tuple[dict[str, Any], ...]
    tags: Mapping[str, str] = field(default_factory=dict)

    @property
    def trust_policy(self) -> str:
        return json.dumps({"Version": "2012-10-17", "Statement": list(self.statements)})


_LOGGING_SOURCES = {"AWS": [_root(a) for a in (DEVOPS_ACCOUNT, SECURITY_ACCOUNT, WORKLOAD_ACCOUNT)]}
_DEPLOYER = {"AWS": f"arn:aws:iam::{DEVOPS_ACCOUNT}:role/cicd-pipeline-deployer"}
_PINNED_SUB = {
    "StringEquals": {f"{GITHUB_OIDC_HOST}:sub": "repo:acme-corp/payments-api:ref:refs/heads/main"}
}

ROLES: tuple[DemoRole, ...] = (
    DemoRole(
        "SharedDataS3Access",
        "Article pattern 1: partner reads the shared S3 data, ExternalId required.",
        (
            _trust(
                {"AWS": _root(PARTNER_ACCOUNT)},
                {"StringEquals": {"sts:ExternalId": PARTNER_EXTERNAL_ID}},
            ),
        ),
    ),
    DemoRole(
        "SharedDataS3Access-NoExternalId",
        "Article pattern 1, misconfigured: the ExternalId condition was forgotten.",
        (_trust({"AWS": _root(PARTNER_ACCOUNT)}),),
    ),
    DemoRole(
        "CentralLogWriter",
        "Article pattern 2: three org accounts ship logs, aws:PrincipalOrgID required.",
        (_trust(_LOGGING_SOURCES, _ORG_GUARD),),
    ),
    DemoRole(
        "CentralLogWriter-NoOrgId",
        "Article pattern 2, misconfigured: the three accounts are listed without an org guard.",
        (_trust(_LOGGING_SOURCES),),
    ),
    DemoRole(
        "cicd-deploy",
        "Article pattern 3: the DevOps account's pipeline role deploys here, org-guarded.",
        (_trust(_DEPLOYER, _ORG_GUARD),),
    ),
    DemoRole(
        "cicd-deploy-unguarded",
        "Article pattern 3, misconfigured: the pipeline role is trusted without a condition.",
        (_trust(_DEPLOYER),),
    ),
    DemoRole(
        "SecurityAudit",
        "Article pattern 4: the security account audits with MFA, org-guarded.",
        (
            _trust(
                {"AWS": _root(SECURITY_ACCOUNT)},
                {**_ORG_GUARD, "Bool": {"aws:MultiFactorAuthPresent": "true"}},
            ),
        ),
    ),
    DemoRole(
        "SecurityAudit-MfaOnly",
        "Article pattern 4, misconfigured: MFA only, which is no guard on who the caller is.",
        (
            _trust(
                {"AWS": _root(SECURITY_ACCOUNT)}, {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
            ),
        ),
    ),
    DemoRole(
        "github-deploy",
        "Article pattern 5: GitHub Actions deploys from one repository's main branch.",
        (_github(_PINNED_SUB),),
    ),
    DemoRole(
        "github-deploy-any-repo",
        "Article pattern 5, misconfigured: the audience is checked but not the subject.",
        (_github({}),),
    ),
    DemoRole(
        "debug-open-access",
        "Opened to everyone while debugging and never closed again.",
        (_trust({"AWS": "*"}),),
    ),
    DemoRole(
        "VendorMonitoring",
        "Monitoring vendor: its product cannot send an ExternalId; the risk was accepted.",
        (_trust({"AWS": _root(VENDOR_ACCOUNT)}),),
        {EXEMPT_TAG: "vendor cannot send an ExternalId; risk accepted in SEC-142"},
    ),
    # The roles events/ names, as they were before the recorded call.
    DemoRole(
        "stratus-red-team-backdoor-r-role",
        "An EC2 instance role; its UpdateAssumeRolePolicy event adds a backdoor.",
        (_trust({"Service": "ec2.amazonaws.com"}),),
    ),
    DemoRole(
        "practicum_test_role1",
        "A test role trusting the DevOps account; its DeleteRole event removes it.",
        (_trust({"AWS": _root(DEVOPS_ACCOUNT)}),),
    ),
    DemoRole(
        "EC2-dev",
        "A development role the partner assumes without an ExternalId.",
        (_trust({"AWS": _root(PARTNER_ACCOUNT)}),),
    ),
    DemoRole(
        "cloud-snitch-dev-CloudSnitchIntegrationRole03668212-LXdv1ZrGg24c",
        "An integration the partner assumes with its ExternalId.",
        (
            _trust(
                {"AWS": _root(PARTNER_ACCOUNT)},
                {"StringEquals": {"sts:ExternalId": INTEGRATION_EXTERNAL_ID}},
            ),
        ),
    ),
)


def seed_account(iam: IAMClient) -> None:
    """Create the GitHub OIDC provider and every role of ROLES in our account."""
    iam.create_open_id_connect_provider(
        Url=f"https://{GITHUB_OIDC_HOST}",
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=[GITHUB_OIDC_THUMBPRINT],
    )
    for role in ROLES:
        iam.create_role(
            RoleName=role.name,
            AssumeRolePolicyDocument=role.trust_policy,
            Description=role.description,
            Tags=[{"Key": key, "Value": value} for key, value in role.tags.items()],
        )

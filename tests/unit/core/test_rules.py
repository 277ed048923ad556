"""Each rule beyond the corpus: a PASS, a FAIL and an edge, as tables."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.core.conftest import ORG, OWN, PARTNER, allow, org_context, policy
from trust_auditor import Rule, TrustContext, evaluate_trust_policy

PARTNER_ROOT = f"arn:aws:iam::{PARTNER}:root"
ORG_MEMBER = "arn:aws:iam::222233334444:root"
GITHUB = f"arn:aws:iam::{OWN}:oidc-provider/token.actions.githubusercontent.com"
EKS_ISSUER = "oidc.eks.eu-west-1.amazonaws.com/id/ABC"
EKS = f"arn:aws:iam::{OWN}:oidc-provider/{EKS_ISSUER}"
WEB = "sts:AssumeRoleWithWebIdentity"


def deny(principal: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Deny", "Principal": principal, "Action": "sts:*"}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def found(document: Any, context: TrustContext | None = None) -> set[tuple[str, str | None]]:
    return {
        (f.rule.value, f.principal)
        for f in evaluate_trust_policy(document, context or org_context())
    }


CASES = [
    # PUBLIC_TRUST
    pytest.param(policy(allow({"AWS": "*"})), {("PUBLIC_TRUST", "*")}, id="public-fail"),
    pytest.param(
        policy(allow("*", {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [f"{ORG}/*"]}})),
        set(),
        id="public-pass-orgpaths",
    ),
    pytest.param(
        policy(allow("*", {"StringEquals": {"sts:ExternalId": "secret-1"}})),
        {("PUBLIC_TRUST", "*")},
        id="public-edge-externalid-does-not-restrict-who",
    ),
    pytest.param(
        policy(allow("*", {"StringEquals": {"aws:PrincipalAccount": PARTNER}})),
        {("EXTERNAL_ID_MISSING", "*")},
        id="public-edge-pinned-to-a-partner",
    ),
    pytest.param(
        policy(
            allow(
                "*",
                {"StringEquals": {"aws:PrincipalAccount": [PARTNER], "sts:ExternalId": "secret-1"}},
            )
        ),
        set(),
        id="public-edge-pinned-partner-with-externalid",
    ),
    pytest.param(
        policy(allow("*", {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::222233334444:role/*"}})),
        {("ORG_CONDITION_MISSING", "*")},
        id="public-edge-pinned-to-org-account",
    ),
    pytest.param(
        policy(allow("*", {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/deploy"}})),
        {("PUBLIC_TRUST", "*")},
        id="public-edge-principalarn-any-account",
    ),
    pytest.param(
        policy(allow("*", {"StringEquals": {"aws:SourceAccount": OWN}})),
        set(),
        id="public-edge-source-key-never-carried",
    ),
    pytest.param(
        policy(
            allow("*"),
            deny(
                "*",
                {"StringNotEquals": {"aws:PrincipalOrgID": ORG, "aws:PrincipalAccount": [PARTNER]}},
            ),
        ),
        {("EXTERNAL_ID_MISSING", "*")},
        id="public-edge-deny-exception-list-lets-partner-in",
    ),
    pytest.param(
        policy(
            allow("*"),
            deny("*", {"ForAnyValue:StringNotLike": {"aws:PrincipalOrgPaths": [f"{ORG}/*"]}}),
        ),
        {("PUBLIC_TRUST", "*")},
        id="public-edge-deny-foranyvalue-skips-accounts-with-no-org",
    ),
    pytest.param(
        policy(
            allow("*"),
            deny("*", {"ForAllValues:StringNotLike": {"aws:PrincipalOrgPaths": [f"{ORG}/*"]}}),
        ),
        set(),
        id="public-pass-deny-forallvalues-orgpaths",
    ),
    pytest.param(
        policy(
            allow("*"),
            deny(
                "*",
                {
                    "StringNotEquals": {"aws:PrincipalOrgID": ORG},
                    "Bool": {"aws:MultiFactorAuthPresent": "false"},
                },
            ),
        ),
        {("PUBLIC_TRUST", "*")},
        id="public-edge-deny-with-outsider-controlled-condition",
    ),
    pytest.param(
        policy(
            allow("*"),
            deny(
                "*",
                {
                    "StringNotEquals": {"aws:PrincipalOrgID": ORG},
                    "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
                },
            ),
        ),
        set(),
        id="public-pass-deny-with-always-true-condition",
    ),
    # EXTERNAL_ID_MISSING
    pytest.param(
        policy(allow({"AWS": PARTNER_ROOT})),
        {("EXTERNAL_ID_MISSING", PARTNER_ROOT)},
        id="externalid-fail",
    ),
    pytest.param(
        policy(allow({"AWS": PARTNER_ROOT}, {"StringEquals": {"sts:externalid": ["a1", "b2"]}})),
        set(),
        id="externalid-pass-lowercase-key-and-list",
    ),
    pytest.param(
        policy(allow({"AWS": PARTNER_ROOT}, {"StringEquals": {"sts:ExternalId": "${aws:userid}"}})),
        {("EXTERNAL_ID_MISSING", PARTNER_ROOT), ("WEAK_CONDITION", PARTNER_ROOT)},
        id="externalid-edge-policy-variable",
    ),
    pytest.param(
        policy(allow({"AWS": PARTNER_ROOT}, {"StringLike": {"sts:ExternalId": "acme-*"}})),
        {("EXTERNAL_ID_MISSING", PARTNER_ROOT), ("WEAK_CONDITION", PARTNER_ROOT)},
        id="externalid-edge-partial-wildcard",
    ),
    pytest.param(
        policy(allow({"AWS": PARTNER_ROOT}, {"StringEquals": {"sts:ExternalId": ["ok-1", "*"]}})),
        {("EXTERNAL_ID_MISSING", PARTNER_ROOT), ("WEAK_CONDITION", PARTNER_ROOT)},
        id="externalid-edge-star-among-values",
    ),
    pytest.param(
        policy(
            allow({"AWS": PARTNER_ROOT}, {"StringEquals": {"aws:PrincipalAccount": "999900001111"}})
        ),
        set(),
        id="externalid-edge-principalaccount-excludes-the-partner",
    ),
    pytest.param(
        policy(
            allow({"AWS": PARTNER_ROOT}),
            deny({"AWS": PARTNER}, {"StringNotEquals": {"sts:ExternalId": "x-1"}}),
        ),
        set(),
        id="externalid-pass-deny-on-bare-account-id-covers-root",
    ),
    pytest.param(
        policy(
            allow({"AWS": f"arn:aws:iam::{PARTNER}:role/r"}),
            deny({"AWS": PARTNER_ROOT}, {"StringNotEquals": {"sts:ExternalId": "x-1"}}),
        ),
        set(),
        id="externalid-pass-deny-on-root-covers-role",
    ),
    pytest.param(
        policy(
            allow({"AWS": PARTNER_ROOT}),
            deny(
                {"AWS": f"arn:aws:iam::{PARTNER}:role/r"},
                {"StringNotEquals": {"sts:ExternalId": "x-1"}},
            ),
        ),
        {("EXTERNAL_ID_MISSING", PARTNER_ROOT)},
        id="externalid-edge-deny-on-one-role-not-root",
    ),
    pytest.param(
        policy(allow({"AWS": PARTNER_ROOT}), deny({"AWS": PARTNER_ROOT})),
        set(),
        id="externalid-pass-unconditional-deny",
    ),
    pytest.param(
        policy(allow({"AWS": PARTNER_ROOT}, Action="sts:AssumeRoleWithSAML")),
        set(),
        id="externalid-edge-action-the-principal-cannot-call",
    ),
    pytest.param(
        policy(allow({"AWS": PARTNER_ROOT}, {"StringLikeIfExists": {"gitlab.com:sub": "x"}})),
        {("EXTERNAL_ID_MISSING", PARTNER_ROOT)},
        id="externalid-edge-ifexists-on-foreign-key",
    ),
    # ORG_CONDITION_MISSING
    pytest.param(
        policy(allow({"AWS": ORG_MEMBER})), {("ORG_CONDITION_MISSING", ORG_MEMBER)}, id="org-fail"
    ),
    pytest.param(
        policy(allow({"AWS": ORG_MEMBER}, {"StringEqualsIgnoreCase": {"aws:PrincipalOrgID": ORG}})),
        set(),
        id="org-pass-ignorecase",
    ),
    pytest.param(
        policy(allow({"AWS": ORG_MEMBER}, {"StringLike": {"aws:PrincipalOrgID": "o-example*"}})),
        {("ORG_CONDITION_MISSING", ORG_MEMBER), ("WEAK_CONDITION", ORG_MEMBER)},
        id="org-edge-wildcard-on-sensitive-key",
    ),
    pytest.param(
        policy(
            allow({"AWS": ORG_MEMBER}, {"StringEquals": {"aws:PrincipalAccount": "222233334444"}})
        ),
        {("ORG_CONDITION_MISSING", ORG_MEMBER)},
        id="org-edge-own-principalaccount-is-no-guard",
    ),
    # FOREIGN_ORG_TRUST
    pytest.param(
        policy(
            allow({"AWS": PARTNER_ROOT}, {"StringEquals": {"aws:PrincipalOrgID": "o-partnerorg99"}})
        ),
        {("FOREIGN_ORG_TRUST", PARTNER_ROOT)},
        id="foreign-fail-partner-by-org",
    ),
    pytest.param(
        policy(
            allow(
                {"AWS": PARTNER_ROOT},
                {"StringEquals": {"aws:PrincipalOrgID": "o-partnerorg99", "sts:ExternalId": "e-1"}},
            )
        ),
        set(),
        id="foreign-pass-with-externalid",
    ),
    pytest.param(
        policy(
            allow("*", {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": "o-partnerorg99/*"}})
        ),
        {("FOREIGN_ORG_TRUST", "*")},
        id="foreign-edge-orgpaths",
    ),
    pytest.param(
        policy(
            allow("*"), deny("*", {"StringNotEquals": {"aws:PrincipalOrgID": "o-partnerorg99"}})
        ),
        {("FOREIGN_ORG_TRUST", "*")},
        id="foreign-edge-deny-guard-names-foreign-org",
    ),
    # SERVICE_CONFUSED_DEPUTY
    pytest.param(
        policy(allow({"Service": "sns.amazonaws.com"})),
        {("SERVICE_CONFUSED_DEPUTY", "sns.amazonaws.com")},
        id="service-fail",
    ),
    pytest.param(
        policy(
            allow(
                {"Service": "sns.amazonaws.com"},
                {"ArnEquals": {"aws:SourceArn": f"arn:aws:sns:*:{OWN}:t"}},
            )
        ),
        set(),
        id="service-pass-sourcearn",
    ),
    pytest.param(
        policy(allow({"Service": "sns.amazonaws.com"}, {"Null": {"aws:SourceAccount": "false"}})),
        {("SERVICE_CONFUSED_DEPUTY", "sns.amazonaws.com")},
        id="service-edge-null-is-weak",
    ),
    pytest.param(
        policy(
            allow(
                {"Service": "sns.amazonaws.com"},
                {"StringEquals": {"aws:PrincipalServiceName": "s3.amazonaws.com"}},
            )
        ),
        set(),
        id="service-edge-other-service-name-never-matches",
    ),
    pytest.param(
        policy(
            allow(
                {"Service": "pods.eks.amazonaws.com"},
                {"StringEquals": {"aws:RequestTag/kubernetes-namespace": "prod"}},
                Action=["sts:AssumeRole", "sts:TagSession"],
            )
        ),
        set(),
        id="service-pass-pod-identity-tag",
    ),
    pytest.param(
        policy(
            allow(
                {"Service": "states.amazonaws.com"},
                {"StringEquals": {"aws:RequestTag/kubernetes-namespace": "prod"}},
            )
        ),
        {("SERVICE_CONFUSED_DEPUTY", "states.amazonaws.com")},
        id="service-edge-pod-tags-only-for-eks",
    ),
    pytest.param(
        policy(
            allow({"Service": "sns.amazonaws.com"}),
            deny({"Service": "sns.amazonaws.com"}, {"Bool": {"aws:PrincipalIsAWSService": "true"}}),
        ),
        set(),
        id="service-pass-denied-outright",
    ),
    # OIDC_SUBJECT_UNRESTRICTED
    pytest.param(
        policy(allow({"Federated": EKS}, Action=WEB)),
        {("OIDC_SUBJECT_UNRESTRICTED", EKS)},
        id="oidc-fail-eks",
    ),
    pytest.param(
        policy(
            allow(
                {"Federated": EKS},
                {"StringLike": {f"{EKS_ISSUER}:sub": "system:serviceaccount:apps:*"}},
                Action=WEB,
            )
        ),
        set(),
        id="oidc-pass-eks-namespace",
    ),
    pytest.param(
        policy(
            allow(
                {"Federated": EKS},
                {"StringLike": {f"{EKS_ISSUER}:sub": "system:serviceaccount:*:*"}},
                Action=WEB,
            )
        ),
        {("OIDC_SUBJECT_UNRESTRICTED", EKS)},
        id="oidc-edge-eks-any-namespace",
    ),
    pytest.param(
        policy(
            allow(
                {"Federated": GITHUB},
                {"StringEquals": {"token.actions.githubusercontent.com:sub": "repo:"}},
                Action=WEB,
            )
        ),
        set(),
        id="oidc-edge-subject-no-token-carries",
    ),
    pytest.param(
        policy(
            allow(
                {"Federated": GITHUB},
                {"StringEquals": {"token.actions.githubusercontent.com:repository_owner": "acme"}},
                Action=WEB,
            )
        ),
        set(),
        id="oidc-pass-github-owner-claim",
    ),
    pytest.param(
        policy(
            allow(
                {"Federated": GITHUB},
                {"StringEquals": {"gitlab.com:sub": "project_path:a/b:ref:main"}},
                Action=WEB,
            )
        ),
        set(),
        id="oidc-edge-other-providers-key-never-carried",
    ),
    pytest.param(
        policy(
            allow(
                {"Federated": "accounts.google.com"},
                {"StringEquals": {"accounts.google.com:aud": "app.apps.googleusercontent.com"}},
                Action=WEB,
            )
        ),
        {("OIDC_SUBJECT_UNRESTRICTED", "accounts.google.com")},
        id="oidc-fail-google-aud-only",
    ),
    pytest.param(
        policy(
            allow({"Federated": EKS}, Action=WEB),
            {"Effect": "Deny", "Principal": {"Federated": EKS}, "Action": WEB},
        ),
        set(),
        id="oidc-pass-denied-outright",
    ),
    pytest.param(
        policy(
            allow({"Federated": EKS}, Action=WEB),
            {"Effect": "Deny", "Principal": {"Federated": EKS}, "Action": "sts:AssumeRole"},
        ),
        {("OIDC_SUBJECT_UNRESTRICTED", EKS)},
        id="oidc-edge-deny-of-another-action",
    ),
    # DANGLING_PRINCIPAL
    pytest.param(
        policy(allow({"AWS": "AIDAJQABLZS4A3QDU576Q"})),
        {("DANGLING_PRINCIPAL", "AIDAJQABLZS4A3QDU576Q")},
        id="dangling-fail",
    ),
    pytest.param(
        policy(deny({"AWS": "AIDAJQABLZS4A3QDU576Q"}), allow({"AWS": OWN})),
        set(),
        id="dangling-edge-only-in-deny",
    ),
    # UNPARSEABLE_POLICY
    pytest.param(
        policy(allow({"AWS": "arn:aws:iam::444455556666:role/*"})),
        {("UNPARSEABLE_POLICY", None)},
        id="unparseable-wildcard-in-arn",
    ),
    pytest.param(
        policy(allow({"AWS": PARTNER_ROOT}, {"stringEquals": {"sts:ExternalId": "x"}})),
        {("UNPARSEABLE_POLICY", None)},
        id="unparseable-operator-case",
    ),
    pytest.param(
        policy(allow({"AWS": PARTNER_ROOT}, Resource="*")),
        {("UNPARSEABLE_POLICY", None)},
        id="unparseable-resource",
    ),
    pytest.param(
        {"Version": "2012-10-18", "Statement": [allow({"AWS": OWN})]},
        {("UNPARSEABLE_POLICY", None)},
        id="unparseable-version",
    ),
    pytest.param({"Statement": [allow({"AWS": OWN})]}, set(), id="pass-version-absent"),
    pytest.param(
        policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": OWN},
                "Action": "sts:AssumeRole",
                "NotAction": "sts:TagSession",
            }
        ),
        {("UNPARSEABLE_POLICY", None)},
        id="unparseable-action-and-notaction",
    ),
    pytest.param(
        policy(allow({"AWS": PARTNER_ROOT}, {"StringEquals": {"sts:ExternalId": {}}})),
        {("UNPARSEABLE_POLICY", None)},
        id="unparseable-condition-value-object",
    ),
    pytest.param(
        policy(allow({"AWS": "not-a-principal"})),
        {("UNPARSEABLE_POLICY", None)},
        id="unparseable-bad-aws-principal",
    ),
    pytest.param(
        policy(allow({"CanonicalUser": "abc"})),
        {("UNPARSEABLE_POLICY", None)},
        id="unparseable-canonical-user",
    ),
]


@pytest.mark.parametrize(("document", "expected"), CASES)
def test_rule(document: Any, expected: set[tuple[str, str | None]]) -> None:
    assert found(document) == expected


def test_unknown_own_account_makes_every_account_another_account() -> None:
    document = policy(allow({"AWS": f"arn:aws:iam::{OWN}:root"}))
    assert found(document, TrustContext()) == {("EXTERNAL_ID_MISSING", f"arn:aws:iam::{OWN}:root")}


def test_service_linked_role_never_gets_confused_deputy() -> None:
    context = org_context(role="aws-service-role/ops.apigateway.amazonaws.com/AWSServiceRoleForX")
    assert found(policy(allow({"Service": "ops.apigateway.amazonaws.com"})), context) == set()


def test_one_finding_per_rule_and_principal_across_statements() -> None:
    document = policy(allow({"AWS": PARTNER_ROOT}, Sid="A"), allow({"AWS": PARTNER_ROOT}, Sid="B"))
    findings = evaluate_trust_policy(document, org_context())
    assert [(f.rule, f.principal) for f in findings] == [(Rule.EXTERNAL_ID_MISSING, PARTNER_ROOT)]
    assert findings[0].statement_ids == ("Statement[0] (Sid 'A')", "Statement[1] (Sid 'B')")
    corrected = findings[0].remediation.corrected_policy
    assert corrected is not None
    assert all("Condition" in s for s in corrected["Statement"])


def test_finding_text_names_statement_condition_and_role() -> None:
    document = policy(
        allow({"AWS": PARTNER_ROOT}, {"StringLike": {"sts:ExternalId": "*"}}, Sid="Vendor")
    )
    by_rule = {f.rule: f for f in evaluate_trust_policy(document, org_context(role="Vendor"))}
    weak = by_rule[Rule.WEAK_CONDITION]
    assert "Statement[0] (Sid 'Vendor')" in weak.detail
    assert 'StringLike sts:ExternalId "*"' in weak.detail
    assert "Vendor" in weak.title
    assert by_rule[Rule.EXTERNAL_ID_MISSING].severity.value == "HIGH"
    corrected = weak.remediation.corrected_policy
    assert corrected is not None
    assert corrected["Statement"][0]["Condition"] == {
        "StringEquals": {"sts:ExternalId": "<EXTERNAL_ID>"}
    }
    assert weak.remediation.command is not None
    assert "--role-name Vendor" in weak.remediation.command


def test_untrusted_text_is_sanitised_and_truncated() -> None:
    sid = "Evil\n\x1b[31m" + "x" * 5000
    findings = evaluate_trust_policy(policy(allow({"AWS": PARTNER_ROOT}, Sid=sid)), org_context())
    finding = findings[0]
    assert "\n" not in finding.detail and "\x1b" not in finding.detail
    assert len(finding.detail) <= 900
    assert all(len(s) <= 120 for s in finding.statement_ids)

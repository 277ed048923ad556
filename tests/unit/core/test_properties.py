"""Property tests: the evaluator never raises, never reports own-account-only trust, and reports
UNPARSEABLE_POLICY (alone) for anything that is not a trust policy."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.core.conftest import OWN, org_context
from trust_auditor import Rule, evaluate_trust_policy

CONTEXT = org_context()
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)

OPERATORS = [
    "StringEquals",
    "StringLike",
    "StringNotEquals",
    "StringEqualsIfExists",
    "Bool",
    "Null",
    "ForAllValues:StringEquals",
    "ForAnyValue:StringLike",
    "ArnLike",
    "NumericLessThan",
    "IpAddress",
    "DateGreaterThan",
    "BoolIfExists",
    "StringNotLikeIfExists",
]
KEYS = [
    "sts:ExternalId",
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceIp",
    "aws:MultiFactorAuthPresent",
    "aws:PrincipalIsAWSService",
    "token.actions.githubusercontent.com:sub",
    "cognito-identity.amazonaws.com:aud",
]
VALUES = st.sampled_from(
    [
        "*",
        "?*",
        "o-exampleorg1",
        "o-foreignorg99",
        OWN,
        "444455556666",
        "true",
        "false",
        "repo:acme/x:*",
        "repo:*",
        "arn:aws:iam::444455556666:root",
        "10.0.0.0/8",
        "abc-123",
        "${aws:username}",
        "o-exampleorg1/*",
        "2020-01-01T00:00:00Z",
        "1",
    ]
)
PRINCIPALS = st.sampled_from(
    [
        "*",
        {"AWS": "*"},
        {"AWS": f"arn:aws:iam::{OWN}:root"},
        {"AWS": "444455556666"},
        {"AWS": ["arn:aws:iam::222233334444:role/x", "arn:aws:iam::444455556666:user/y"]},
        {"AWS": "AROADBQP57FF2AEXAMPLE"},
        {"Service": "sns.amazonaws.com"},
        {"Service": ["ec2.amazonaws.com", "states.amazonaws.com"]},
        {"Federated": f"arn:aws:iam::{OWN}:oidc-provider/token.actions.githubusercontent.com"},
        {"Federated": "cognito-identity.amazonaws.com"},
        {"Federated": f"arn:aws:iam::{OWN}:saml-provider/Okta"},
    ]
)
ACTIONS = st.sampled_from(
    [
        "sts:AssumeRole",
        "sts:*",
        "*",
        "sts:AssumeRoleWithWebIdentity",
        "sts:TagSession",
        ["sts:AssumeRole", "sts:TagSession"],
        "STS:assume*",
    ]
)
conditions = st.dictionaries(
    st.sampled_from(OPERATORS),
    st.dictionaries(
        st.sampled_from(KEYS),
        VALUES | st.lists(VALUES, min_size=1, max_size=3),
        min_size=1,
        max_size=2,
    ),
    max_size=3,
)


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"])),
        "Principal": draw(PRINCIPALS),
        draw(st.sampled_from(["Action", "Action", "NotAction"])): draw(ACTIONS),
    }
    condition = draw(conditions)
    if condition:
        statement["Condition"] = condition
    return statement


policies = st.builds(
    lambda s, v: {"Version": v, "Statement": s},
    st.lists(statements(), min_size=1, max_size=4),
    st.sampled_from(["2012-10-17", "2008-10-17"]),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_arbitrary_json_never_raises_and_fails_closed(value: Any) -> None:
    for document in (value, json.dumps(value)):
        findings = evaluate_trust_policy(document, CONTEXT)
        if not (isinstance(value, dict) and "Statement" in value):
            assert [(f.rule, f.principal) for f in findings] == [(Rule.UNPARSEABLE_POLICY, None)]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_arbitrary_text_never_raises(text: str) -> None:
    findings = evaluate_trust_policy(text, CONTEXT)
    if any(f.rule is Rule.UNPARSEABLE_POLICY for f in findings):
        assert len(findings) == 1


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(policies)
def test_well_formed_policies_are_evaluated(document: dict[str, Any]) -> None:
    findings = evaluate_trust_policy(document, CONTEXT)
    assert all(f.rule is not Rule.UNPARSEABLE_POLICY for f in findings)
    keys = [(f.rule, f.principal) for f in findings]
    assert len(keys) == len(set(keys))
    for finding in findings:
        assert finding.title and finding.detail and finding.remediation.text
        assert len(finding.title) <= 200 and len(finding.detail) <= 900


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(statements(), min_size=1, max_size=4))
def test_own_account_only_trust_is_never_reported(raw: list[dict[str, Any]]) -> None:
    for statement in raw:
        statement["Principal"] = {"AWS": f"arn:aws:iam::{OWN}:role/ops"}
    assert evaluate_trust_policy({"Version": "2012-10-17", "Statement": raw}, CONTEXT) == []


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(policies)
def test_corrected_policies_clear_their_findings(document: dict[str, Any]) -> None:
    for finding in evaluate_trust_policy(document, CONTEXT):
        corrected = finding.remediation.corrected_policy
        if corrected is None:
            continue
        after = {(f.rule, f.principal) for f in evaluate_trust_policy(corrected, CONTEXT)}
        assert (finding.rule, finding.principal) not in after, json.dumps(corrected)

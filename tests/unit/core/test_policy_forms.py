"""Every document form IAM, boto3 and CloudTrail hand over parses the same way."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from tests.unit.core.conftest import PARTNER, allow, org_context, policy
from trust_auditor import Rule, evaluate_trust_policy
from trust_auditor.policy import PolicyError, parse_policy

DOCUMENT = policy(allow({"AWS": f"arn:aws:iam::{PARTNER}:root"}))
TEXT = json.dumps(DOCUMENT, indent=2)


@pytest.mark.parametrize(
    "form",
    [
        pytest.param(DOCUMENT, id="dict"),
        pytest.param(TEXT, id="json-text"),
        pytest.param(quote(TEXT), id="url-encoded"),
        pytest.param(quote(json.dumps(DOCUMENT), safe=""), id="url-encoded-all"),
        pytest.param(TEXT.encode(), id="bytes"),
        pytest.param("\n  " + TEXT + "\n", id="surrounding-whitespace"),
        pytest.param({**DOCUMENT, "Statement": DOCUMENT["Statement"][0]}, id="statement-object"),
        pytest.param(
            policy(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": [f"arn:aws:iam::{PARTNER}:root"]},
                    "Action": ["sts:AssumeRole"],
                }
            ),
            id="lists-instead-of-strings",
        ),
    ],
)
def test_forms_give_the_same_finding(form: Any) -> None:
    findings = evaluate_trust_policy(form, org_context())
    assert [(f.rule, f.principal) for f in findings] == [
        (Rule.EXTERNAL_ID_MISSING, f"arn:aws:iam::{PARTNER}:root")
    ]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        pytest.param('{"Statement": NaN}', "not valid JSON", id="nan"),
        pytest.param(b"\xff\xfe", "not UTF-8", id="binary"),
        pytest.param("   ", "empty", id="blank"),
        pytest.param(42, "number", id="number"),
        pytest.param({"Version": "2012-10-17", "Statement": []}, "Statement", id="empty-list"),
        pytest.param(
            {"Statement": [allow("*")], "Extra": 1}, "unknown policy element", id="unknown-element"
        ),
        pytest.param(policy({**allow("*"), "Effect": "allow"}), "Effect", id="effect-case"),
        pytest.param(policy({**allow("*"), "Effect": ["Allow"]}), "Effect", id="effect-list"),
        pytest.param(
            policy({"Effect": "Allow", "Action": "sts:AssumeRole"}), "Principal", id="no-principal"
        ),
        pytest.param(policy({"Effect": "Allow", "Principal": "*"}), "Action", id="no-action"),
        pytest.param(policy(allow({"AWS": []})), "non-empty list", id="empty-principal-list"),
        pytest.param(policy(allow({"Service": "*"})), "wildcard", id="service-wildcard"),
        pytest.param(policy(allow("*", {"StringEquals": {}})), "condition keys", id="empty-block"),
        pytest.param(
            policy(allow("*", {"StringEquals": {"k": []}})), "no values", id="empty-values"
        ),
    ],
)
def test_rejected_documents_say_why(document: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        parse_policy(document)
    findings = evaluate_trust_policy(document, org_context())
    assert [(f.rule, f.principal) for f in findings] == [(Rule.UNPARSEABLE_POLICY, None)]
    assert message.split(maxsplit=1)[0].lower() in findings[0].detail.lower()


def test_deeply_nested_document_fails_closed() -> None:
    document = "[" * 100_000 + "]" * 100_000
    findings = evaluate_trust_policy(document, org_context())
    assert [f.rule for f in findings] == [Rule.UNPARSEABLE_POLICY]


def test_boolean_and_number_condition_values_are_strings() -> None:
    parsed = parse_policy(
        policy(
            allow(
                "*",
                {
                    "Bool": {"aws:SecureTransport": True},
                    "NumericLessThan": {"aws:MultiFactorAuthAge": 3600},
                },
            )
        )
    )
    values = [c.values for c in parsed.statements[0].conditions]
    assert values == [("true",), ("3600",)]

"""The pattern matcher the template tests rely on, checked against EventBridge's documented
behaviour (EventBridge user guide, "Event patterns" and "Content filtering")."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.eventbridge import UnsupportedPatternError, matches

EVENT = {
    "source": "aws.sts",
    "detail": {
        "eventName": "AssumeRole",
        "userIdentity": {"type": "AWSAccount", "accountId": "444455556666"},
        "readOnly": True,
        "findings": [
            {"GeneratorId": "other/x", "Severity": {"Label": "LOW"}},
            {"GeneratorId": "trust-auditor/ACCOUNT_TRUST", "Severity": {"Label": "HIGH"}},
        ],
        "tags": ["a", "b"],
    },
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        pytest.param({"source": ["aws.sts"]}, True, id="exact-value"),
        pytest.param({"source": ["aws.iam", "aws.sts"]}, True, id="any-of-values"),
        pytest.param({"source": ["aws.iam"]}, False, id="other-value"),
        pytest.param({"source": ["AWS.STS"]}, False, id="case-sensitive"),
        pytest.param({"detail": {"userIdentity": {"type": ["AWSAccount"]}}}, True, id="nested"),
        pytest.param({"detail": {"missing": ["x"]}}, False, id="value-on-absent-field"),
        pytest.param(
            {"detail": {"errorCode": [{"exists": False}]}}, True, id="absent-exists-false"
        ),
        pytest.param(
            {"detail": {"eventName": [{"exists": False}]}}, False, id="present-exists-false"
        ),
        pytest.param({"detail": {"eventName": [{"exists": True}]}}, True, id="present-exists-true"),
        pytest.param(
            {"detail": {"userIdentity": [{"exists": True}]}}, False, id="exists-not-on-objects"
        ),
        pytest.param({"detail": {"readOnly": [True]}}, True, id="boolean"),
        pytest.param({"detail": {"readOnly": ["true"]}}, False, id="boolean-is-not-string"),
        pytest.param({"detail": {"tags": ["b"]}}, True, id="array-any-element"),
        pytest.param({"source": [{"prefix": "aws."}]}, True, id="prefix"),
        pytest.param({"source": [{"prefix": "sts"}]}, False, id="prefix-mismatch"),
        pytest.param({"source": [{"anything-but": ["aws.iam"]}]}, True, id="anything-but"),
        pytest.param({"source": [{"anything-but": "aws.sts"}]}, False, id="anything-but-hit"),
        pytest.param(
            {"source": [{"anything-but": {"prefix": "aws."}}]}, False, id="anything-but-prefix"
        ),
        pytest.param(
            {"detail": {"findings": {"GeneratorId": [{"prefix": "trust-auditor/"}]}}},
            True,
            id="array-of-objects",
        ),
        pytest.param(
            {"detail": {"findings": {"Severity": {"Label": ["CRITICAL"]}}}},
            False,
            id="array-of-objects-no-element",
        ),
    ],
)
def test_pattern_matching(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        pytest.param({"source": [{"numeric": [">", 0]}]}, id="numeric"),
        pytest.param({"source": [{"prefix": "a", "suffix": "b"}]}, id="two-operators"),
        pytest.param({"source": "aws.sts"}, id="leaf-not-a-list"),
    ],
)
def test_unsupported_patterns_raise(pattern: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedPatternError):
        matches(pattern, EVENT)

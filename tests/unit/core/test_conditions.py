"""Each IAM condition operator: a match, a miss and an edge (absent key, sets, case, variables)."""

from __future__ import annotations

import pytest

from trust_auditor.conditions import arn_match, glob_match, has_policy_variable, parse_operator

ABSENT = None


@pytest.mark.parametrize(
    ("operator", "policy_values", "request_values", "variables", "expected"),
    [
        pytest.param("StringEquals", ["a"], ["a"], None, True, id="StringEquals-match"),
        pytest.param("StringEquals", ["a"], ["A"], None, False, id="StringEquals-case-sensitive"),
        pytest.param("StringEquals", ["a*"], ["abc"], None, False, id="StringEquals-star-literal"),
        pytest.param("StringEquals", ["a*"], ["a*"], None, True, id="StringEquals-star-is-char"),
        pytest.param("StringEquals", ["a"], ABSENT, None, False, id="StringEquals-absent"),
        pytest.param("StringEquals", ["a", "b"], ["b"], None, True, id="StringEquals-values-OR"),
        pytest.param("StringNotEquals", ["a"], ["b"], None, True, id="StringNotEquals-match"),
        pytest.param("StringNotEquals", ["a"], ["a"], None, False, id="StringNotEquals-miss"),
        pytest.param("StringNotEquals", ["a"], ABSENT, None, True, id="StringNotEquals-absent"),
        pytest.param("StringEqualsIgnoreCase", ["AbC"], ["aBc"], None, True, id="IgnoreCase"),
        pytest.param("StringNotEqualsIgnoreCase", ["AbC"], ["abc"], None, False, id="NotIgnore"),
        pytest.param("StringLike", ["a*c"], ["abbc"], None, True, id="StringLike-star"),
        pytest.param("StringLike", ["a?c"], ["abbc"], None, False, id="StringLike-question"),
        pytest.param("StringLike", ["a?c"], ["abc"], None, True, id="StringLike-question-one"),
        pytest.param("StringLike", ["a.c"], ["abc"], None, False, id="StringLike-dot-literal"),
        pytest.param("StringNotLike", ["a*"], ["b"], None, True, id="StringNotLike-match"),
        pytest.param("StringNotLike", ["a*"], ["ab"], None, False, id="StringNotLike-miss"),
        pytest.param("StringEqualsIfExists", ["a"], ABSENT, None, True, id="IfExists-absent"),
        pytest.param("StringEqualsIfExists", ["a"], ["b"], None, False, id="IfExists-present"),
        pytest.param("NumericLessThan", ["10"], ["9"], None, True, id="NumericLessThan"),
        pytest.param("NumericLessThan", ["10"], ["10"], None, False, id="NumericLessThan-eq"),
        pytest.param("NumericLessThanEquals", ["10"], ["10"], None, True, id="NumericLTE"),
        pytest.param("NumericGreaterThan", ["10"], ["11.5"], None, True, id="NumericGT"),
        pytest.param("NumericGreaterThanEquals", ["10"], ["9"], None, False, id="NumericGTE"),
        pytest.param("NumericEquals", ["10"], ["x"], None, False, id="Numeric-not-a-number"),
        pytest.param("NumericNotEquals", ["10"], ["11"], None, True, id="NumericNotEquals"),
        pytest.param(
            "DateGreaterThan",
            ["2020-01-01T00:00:00Z"],
            ["2021-06-01T00:00:00Z"],
            None,
            True,
            id="DateGreaterThan",
        ),
        pytest.param(
            "DateLessThan",
            ["2020-01-01T00:00:00Z"],
            ["1577836799"],
            None,
            True,
            id="DateLessThan-epoch",
        ),
        pytest.param(
            "DateEquals",
            ["2020-01-01T00:00:00Z"],
            ["2020-01-01T00:00:00+00:00"],
            None,
            True,
            id="DateEquals-offset",
        ),
        pytest.param("DateNotEquals", ["2020-01-01"], ["2020-01-02"], None, True, id="DateNot"),
        pytest.param("DateLessThanEquals", ["2020-01-01"], ["2020-01-01"], None, True, id="DLTE"),
        pytest.param(
            "DateGreaterThanEquals", ["2020-01-02"], ["2020-01-01"], None, False, id="DGTE"
        ),
        pytest.param("Bool", ["true"], ["true"], None, True, id="Bool"),
        pytest.param("Bool", ["true"], ["false"], None, False, id="Bool-miss"),
        pytest.param("Bool", ["TRUE"], ["true"], None, True, id="Bool-case"),
        pytest.param("BoolIfExists", ["false"], ABSENT, None, True, id="BoolIfExists-absent"),
        pytest.param("BinaryEquals", ["QmluYXJ5"], ["QmluYXJ5"], None, True, id="BinaryEquals"),
        pytest.param("IpAddress", ["203.0.113.0/24"], ["203.0.113.9"], None, True, id="Ip-in"),
        pytest.param("IpAddress", ["203.0.113.0/24"], ["198.51.100.1"], None, False, id="Ip-out"),
        pytest.param("IpAddress", ["2001:db8::/32"], ["2001:db8::1"], None, True, id="Ip-v6"),
        pytest.param("IpAddress", ["203.0.113.0/24"], ["bogus"], None, False, id="Ip-bogus"),
        pytest.param("NotIpAddress", ["203.0.113.0/24"], ["198.51.100.1"], None, True, id="NotIp"),
        pytest.param(
            "ArnLike",
            ["arn:aws:iam::*:role/admin-*"],
            ["arn:aws:iam::444455556666:role/admin-x"],
            None,
            True,
            id="ArnLike",
        ),
        pytest.param(
            "ArnEquals",
            ["arn:aws:iam::111122223333:role/a"],
            ["arn:aws:iam::111122223333:role/b"],
            None,
            False,
            id="ArnEquals-miss",
        ),
        pytest.param(
            "ArnLike",
            ["arn:aws:iam::1111*"],
            ["arn:aws:iam::111122223333:role/a"],
            None,
            False,
            id="ArnLike-per-part",
        ),
        pytest.param(
            "ArnNotLike",
            ["arn:aws:iam::111122223333:*"],
            ["arn:aws:iam::444455556666:root"],
            None,
            True,
            id="ArnNotLike",
        ),
        pytest.param(
            "ArnNotEquals", ["arn:aws:s3:::b"], ["arn:aws:s3:::b"], None, False, id="ArnNotEquals"
        ),
        pytest.param("Null", ["true"], ABSENT, None, True, id="Null-true-absent"),
        pytest.param("Null", ["true"], ["x"], None, False, id="Null-true-present"),
        pytest.param("Null", ["false"], ["x"], None, True, id="Null-false-present"),
        pytest.param("Null", ["false"], ABSENT, None, False, id="Null-false-absent"),
        pytest.param("ForAllValues:StringEquals", ["a", "b"], ["a", "b"], None, True, id="FAV"),
        pytest.param("ForAllValues:StringEquals", ["a"], ["a", "c"], None, False, id="FAV-miss"),
        pytest.param("ForAllValues:StringEquals", ["a"], ABSENT, None, True, id="FAV-absent"),
        pytest.param("ForAllValues:StringEquals", ["a"], [], None, True, id="FAV-empty"),
        pytest.param("ForAnyValue:StringEquals", ["a"], ["c", "a"], None, True, id="FAnyV"),
        pytest.param("ForAnyValue:StringEquals", ["a"], ABSENT, None, False, id="FAnyV-absent"),
        pytest.param("ForAnyValue:StringNotLike", ["a*"], ["ab", "c"], None, True, id="FAnyNot"),
        pytest.param("ForAllValues:StringNotLike", ["a*"], ["ab", "c"], None, False, id="FAllNot"),
        pytest.param(
            "StringEquals",
            ["${aws:username}"],
            ["alice"],
            {"aws:username": ["alice"]},
            True,
            id="variable",
        ),
        pytest.param(
            "StringEquals",
            ["${aws:username}"],
            ["alice"],
            {},
            False,
            id="variable-missing",
        ),
        pytest.param(
            "StringEquals",
            ["${aws:PrincipalTag/team, 'ops'}"],
            ["ops"],
            {},
            True,
            id="variable-default",
        ),
        pytest.param(
            "StringLike",
            ["a${*}"],
            ["ab"],
            None,
            False,
            id="escaped-star-is-literal",
        ),
        pytest.param("StringLike", ["a${*}"], ["a*"], None, True, id="escaped-star-matches-star"),
        pytest.param(
            "NumericEquals",
            ["${aws:x}"],
            ["5"],
            {"aws:x": ["5"]},
            False,
            id="no-variables-outside-string-and-arn",
        ),
    ],
)
def test_operator(
    operator: str,
    policy_values: list[str],
    request_values: list[str] | None,
    variables: dict[str, list[str]] | None,
    expected: bool,
) -> None:
    parsed = parse_operator(operator)
    assert parsed is not None
    assert parsed.holds(policy_values, request_values, variables) is expected


@pytest.mark.parametrize(
    "name",
    [
        "stringEquals",
        "StringEquals ",
        "StringEqualIgnoreCase",
        "ForAllValues:Null",
        "ForSomeValues:StringEquals",
        "NullIfExists",
        "IfExists",
        "StringLikeIfexists",
        "",
    ],
)
def test_operator_names_are_exact(name: str) -> None:
    assert parse_operator(name) is None


@pytest.mark.parametrize(
    ("name", "positive"),
    [
        ("StringEquals", True),
        ("ForAnyValue:StringLike", True),
        ("StringNotEquals", False),
        ("StringEqualsIfExists", False),
        ("ForAllValues:StringEquals", False),
        ("Null", False),
    ],
)
def test_positive_operators_are_false_on_an_absent_key(name: str, positive: bool) -> None:
    operator = parse_operator(name)
    assert operator is not None
    assert operator.positive is positive
    assert operator.holds(["true"], None) is not positive


def test_glob_and_arn_helpers() -> None:
    assert glob_match("*", "")
    assert not glob_match("?", "")
    assert glob_match("A*", "abc", ignore_case=True)
    assert not arn_match("arn:aws:iam::*", "arn:aws:iam::1:role/x")
    assert arn_match("arn:aws:iam::*:*", "arn:aws:iam::1:role/x")
    assert has_policy_variable("repo:${aws:username}/*")
    assert not has_policy_variable("a${*}b")

"""Table and JSON rendering of findings."""

from __future__ import annotations

import json

import pytest

from trust_auditor.cli.report import ReportedFinding, ordered, render_json, render_table
from trust_auditor.model import Finding, Remediation, Rule
from trust_auditor.text import escape_control

PARTNER = "arn:aws:iam::444455556666:root"


def _finding(rule: Rule, principal: str | None, *, command: str | None = None) -> Finding:
    return Finding(
        rule=rule,
        principal=principal,
        title=f"{rule.value} title",
        detail="Statement 0 grants sts:AssumeRole.",
        remediation=Remediation(
            "Add an sts:ExternalId condition.",
            {"Version": "2012-10-17", "Statement": []} if command else None,
            command,
        ),
        statement_ids=("0",),
    )


LOW = ReportedFinding(_finding(Rule.SERVICE_CONFUSED_DEPUTY, "sns.amazonaws.com"), "B")
HIGH = ReportedFinding(
    _finding(Rule.EXTERNAL_ID_MISSING, PARTNER, command="aws iam update-assume-role-policy"), "A"
)
CRITICAL = ReportedFinding(
    _finding(Rule.PUBLIC_TRUST, "*"), "C", "arn:aws:iam::111122223333:role/C"
)


def test_order_is_most_severe_first() -> None:
    assert ordered([LOW, HIGH, CRITICAL]) == [CRITICAL, HIGH, LOW]


def test_json_is_finding_dict_plus_location() -> None:
    data = json.loads(render_json([LOW, CRITICAL]))
    assert [item["rule"] for item in data] == ["PUBLIC_TRUST", "SERVICE_CONFUSED_DEPUTY"]
    assert data[0] == {
        **CRITICAL.finding.to_dict(),
        "resource": "C",
        "role_arn": "arn:aws:iam::111122223333:role/C",
    }
    assert "role_arn" not in data[1]


def test_json_of_a_lone_policy_has_no_location_fields() -> None:
    (item,) = json.loads(render_json([ReportedFinding(HIGH.finding)]))
    assert item == HIGH.finding.to_dict()


def test_table_is_aligned_and_followed_by_remediations() -> None:
    lines = render_table([LOW, HIGH, CRITICAL]).splitlines()
    header, first, second, third = lines[:4]
    assert header.split() == ["#", "SEVERITY", "RESOURCE", "RULE", "PRINCIPAL", "TITLE"]
    assert first.split()[:5] == ["1", "CRITICAL", "C", "PUBLIC_TRUST", "*"]
    assert second.split()[:5] == ["2", "HIGH", "A", "EXTERNAL_ID_MISSING", PARTNER]
    assert third.split()[:5] == ["3", "LOW", "B", "SERVICE_CONFUSED_DEPUTY", "sns.amazonaws.com"]
    # Columns start at the same offset on every row.
    for column in ("RULE", "PRINCIPAL", "TITLE"):
        offset = header.index(column)
        assert all(row[offset - 2 : offset] == "  " for row in (first, second, third))
        assert all(row[offset] != " " for row in (first, second, third))
    text = "\n".join(lines)
    assert "[2] HIGH EXTERNAL_ID_MISSING A" in text
    assert "    Fix: Add an sts:ExternalId condition." in text
    assert '      "Version": "2012-10-17",' in text
    assert "    Command:\n      aws iam update-assume-role-policy" in text


def test_table_of_a_lone_policy_has_no_resource_column() -> None:
    header = render_table([ReportedFinding(HIGH.finding)]).splitlines()[0]
    assert header.split() == ["#", "SEVERITY", "RULE", "PRINCIPAL", "TITLE"]


def test_empty_table() -> None:
    assert render_table([]) == "No findings."


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        pytest.param("a\x1b[31mred\x07", "a\\x1b[31mred\\x07", id="terminal-escape"),
        pytest.param("a\tb\nc\rd", "a\\x09b\\x0ac\\x0dd", id="line-breaks"),
        pytest.param("\x85\x9f", "\\x85\\x9f", id="c1-controls"),
        pytest.param("admin\u202etxt.exe", "admin\\u202etxt.exe", id="right-to-left-override"),
        pytest.param(
            "\u202a\u202b\u202c\u202d\u2066\u2067\u2068\u2069",
            "\\u202a\\u202b\\u202c\\u202d\\u2066\\u2067\\u2068\\u2069",
            id="every-other-bidi-control",
        ),
        pytest.param("rôle ✓ 役割", "rôle ✓ 役割", id="printable-unicode-kept"),
    ],
)
def test_escape_control(text: str, escaped: str) -> None:
    assert escape_control(text) == escaped


def test_control_characters_cannot_reach_the_terminal() -> None:
    hostile = ReportedFinding(_finding(Rule.EXTERNAL_ID_MISSING, "x\x1b]0;pwned\x07"))
    assert "\x1b" not in render_table([hostile])


def test_bidi_overrides_are_escaped_in_the_table() -> None:
    # On screen U+202E reverses the rest of the line: this principal names account
    # 666655554444 but would read as arn:aws:iam::444455556666.
    disguised = "arn:aws:iam::\u202e666655554444"
    hostile = ReportedFinding(_finding(Rule.EXTERNAL_ID_MISSING, disguised), "A\u2066B")
    table = render_table([hostile])
    assert not set(table) & {"\u202e", "\u2066"}
    assert "arn:aws:iam::\\u202e666655554444" in table.splitlines()[1]
    assert "A\\u2066B" in table.splitlines()[1]

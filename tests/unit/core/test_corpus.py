"""Every labelled case of ../shared/corpus: the (rule, principal) set must match exactly."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.core.conftest import context_of, corpus_cases
from trust_auditor import Rule, evaluate_trust_policy

CASES = corpus_cases()


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in CASES])
def test_corpus_case(case: dict[str, Any]) -> None:
    findings = evaluate_trust_policy(case["policy"], context_of(case))
    got = {(f.rule.value, f.principal) for f in findings}
    expected = {(e["rule"], e["principal"]) for e in case["expected"]}
    assert got == expected, case.get("note")
    assert len(findings) == len(got), "one finding per (rule, principal)"


def test_corpus_covers_every_rule_but_the_event_only_one() -> None:
    seen = {e["rule"] for case in CASES for e in case["expected"]}
    assert seen == {r.value for r in Rule} - {Rule.OBSERVED_UNGUARDED_ASSUMPTION.value}


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in CASES])
def test_corrected_policy_clears_the_finding(case: dict[str, Any]) -> None:
    context = context_of(case)
    for finding in evaluate_trust_policy(case["policy"], context):
        corrected = finding.remediation.corrected_policy
        if finding.rule is Rule.UNPARSEABLE_POLICY:
            assert corrected is None
            continue
        if corrected is None:
            # Only removing a deleted principal can leave nothing to keep.
            assert finding.rule is Rule.DANGLING_PRINCIPAL
            continue
        after = {(f.rule, f.principal) for f in evaluate_trust_policy(corrected, context)}
        assert (finding.rule, finding.principal) not in after
        assert not any(
            f.rule is Rule.UNPARSEABLE_POLICY for f in evaluate_trust_policy(corrected, context)
        )
        assert finding.remediation.command is not None
        assert finding.remediation.command.startswith(
            "aws iam update-assume-role-policy --role-name "
        )

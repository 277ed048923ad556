"""OBSERVED_UNGUARDED_ASSUMPTION: the decision on a cross-account AssumeRole record."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.core.conftest import ORG, OWN, PARTNER, allow, org_context, policy
from trust_auditor import Rule
from trust_auditor.observed import ObservedAssumption, observed_assumption_finding

ROLE_ARN = f"arn:aws:iam::{OWN}:role/Target"
MEMBER = "222233334444"
OUTSIDER = "999900001111"


def assumption(caller: str, external_id: bool = False) -> ObservedAssumption:
    return ObservedAssumption(
        role_arn=ROLE_ARN,
        caller_account_id=caller,
        external_id_present=external_id,
        event_id="6b1c6d2e-0000-4000-8000-000000000001",
        event_time="2026-12-03T10:00:00Z",
        source_ip="203.0.113.7",
    )


@pytest.mark.parametrize(
    ("document", "caller", "external_id", "reported"),
    [
        pytest.param(policy(allow({"AWS": PARTNER})), PARTNER, False, True, id="unguarded"),
        pytest.param(policy(allow({"AWS": PARTNER})), PARTNER, True, False, id="externalid-sent"),
        pytest.param(
            policy(allow({"AWS": PARTNER}, {"StringEquals": {"sts:ExternalId": "x-1"}})),
            PARTNER,
            False,
            False,
            id="guarded-by-externalid",
        ),
        pytest.param(
            policy(allow({"AWS": f"arn:aws:iam::{OWN}:root"})), OWN, False, False, id="own-account"
        ),
        pytest.param(policy(allow("*")), OUTSIDER, False, True, id="public"),
        pytest.param(
            policy(allow("*", {"StringEquals": {"aws:PrincipalAccount": PARTNER}})),
            OUTSIDER,
            False,
            False,
            id="star-pinned-to-another-account",
        ),
        pytest.param(
            policy(
                allow({"AWS": MEMBER}, {"StringEquals": {"aws:PrincipalOrgID": ORG}}),
                allow({"AWS": PARTNER}, {"StringEquals": {"aws:PrincipalOrgID": "o-partnerorg99"}}),
            ),
            MEMBER,
            False,
            False,
            id="guarded-member-beside-a-foreign-org-statement",
        ),
        pytest.param(
            policy(
                allow({"AWS": PARTNER}, {"StringEquals": {"aws:PrincipalOrgID": "o-partnerorg99"}})
            ),
            PARTNER,
            False,
            True,
            id="foreign-org-trust-for-the-caller",
        ),
        pytest.param("{not json", PARTNER, False, True, id="unreadable-trust-fails-closed"),
    ],
)
def test_observed_assumption(document: Any, caller: str, external_id: bool, reported: bool) -> None:
    finding = observed_assumption_finding(assumption(caller, external_id), document, org_context())
    assert (finding is not None) is reported
    if finding is not None:
        assert finding.rule is Rule.OBSERVED_UNGUARDED_ASSUMPTION
        assert finding.principal == caller
        assert "6b1c6d2e-0000-4000-8000-000000000001" in finding.detail
        assert "203.0.113.7" in finding.detail

"""OBSERVED_UNGUARDED_ASSUMPTION: CloudTrail shows another account assuming the role without an
ExternalId, and the trust has no effective guard for that account (RULES.md §4).

The decision is the core's; the AssumeRole event handler only parses the record into
`ObservedAssumption` and reads the role's trust policy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trust_auditor.analysis import PolicyAnalysis
from trust_auditor.evaluate import DETAIL_LIMIT
from trust_auditor.model import Finding, Remediation, Rule, TrustContext
from trust_auditor.policy import PolicyError, parse_policy
from trust_auditor.principals import AccountClass, classify_account
from trust_auditor.remediation import apply_command, corrected_policy
from trust_auditor.rules import account_trust
from trust_auditor.rules.catalog import advice, title
from trust_auditor.text import sanitize


@dataclass(frozen=True, slots=True)
class ObservedAssumption:
    """A successful cross-account sts:AssumeRole, as logged in the role owner's account."""

    role_arn: str
    caller_account_id: str
    external_id_present: bool
    event_id: str
    event_time: str
    source_ip: str | None = None


def observed_assumption_finding(
    assumption: ObservedAssumption, document: Any, context: TrustContext
) -> Finding | None:
    """The finding for this assumption, or None when an ExternalId was passed, the caller is the
    role's own or a trusted account, or the trust guards the caller's account effectively."""
    caller = assumption.caller_account_id
    if assumption.external_id_present:
        return None
    if classify_account(caller, context) in (AccountClass.OWN, AccountClass.TRUSTED):
        return None
    try:
        policy = parse_policy(document)
    except (PolicyError, RecursionError):
        # The role was assumed under a trust we cannot read: report it (fail closed).
        return _finding(assumption, context, "the trust policy cannot be parsed", None)
    analysis = PolicyAnalysis(policy, context)
    exposures = [
        exposure
        for exposure in account_trust.check(analysis)
        if exposure.rule is not Rule.WEAK_CONDITION and exposure.account in (None, caller)
    ]
    if not exposures:
        return None
    reasons = " ".join(e.detail for e in exposures)
    return _finding(
        assumption, context, reasons, corrected_policy(policy, [e.fix for e in exposures])
    )


def _finding(
    assumption: ObservedAssumption,
    context: TrustContext,
    reason: str,
    document: dict[str, Any] | None,
) -> Finding:
    rule = Rule.OBSERVED_UNGUARDED_ASSUMPTION
    caller = assumption.caller_account_id
    detail = (
        f"CloudTrail event {assumption.event_id} at {assumption.event_time}: account {caller} "
        f"assumed {assumption.role_arn} without an ExternalId"
        + (f" from {assumption.source_ip}" if assumption.source_ip else "")
        + f". {reason}"
    )
    role_name = context.role.name if context.role else None
    return Finding(
        rule=rule,
        principal=caller,
        title=title(rule, caller, context),
        detail=sanitize(detail, DETAIL_LIMIT),
        remediation=Remediation(advice(rule), document, apply_command(document, role_name)),
    )

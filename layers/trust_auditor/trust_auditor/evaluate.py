"""evaluate_trust_policy: the pure entry point of the core (RULES.md §5)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trust_auditor.analysis import PolicyAnalysis
from trust_auditor.model import SEVERITY, Finding, Remediation, Rule, Severity, TrustContext
from trust_auditor.policy import PolicyError, parse_policy
from trust_auditor.remediation import apply_command, corrected_policy
from trust_auditor.rules import CHECKS, Exposure
from trust_auditor.rules.catalog import advice, title
from trust_auditor.text import sanitize

_SEVERITY_ORDER = {s: i for i, s in enumerate(Severity)}
DETAIL_LIMIT = 900


def evaluate_trust_policy(document: Any, context: TrustContext | None = None) -> list[Finding]:
    """Every finding for this trust policy; a document IAM would reject is UNPARSEABLE_POLICY."""
    context = context or TrustContext()
    try:
        policy = parse_policy(document)
    except (PolicyError, RecursionError) as error:
        return [unparseable(str(error) or type(error).__name__, context)]
    analysis = PolicyAnalysis(policy, context)
    grouped: dict[tuple[Rule, str], list[Exposure]] = {}
    for check in CHECKS:
        for exposure in check(analysis):
            grouped.setdefault((exposure.rule, exposure.principal), []).append(exposure)
    findings = [_finding(exposures, analysis) for exposures in grouped.values()]
    findings.sort(key=lambda f: _SEVERITY_ORDER[SEVERITY[f.rule]])
    return findings


def unparseable(reason: str, context: TrustContext) -> Finding:
    rule = Rule.UNPARSEABLE_POLICY
    role_name = context.role.name if context.role else None
    command = (
        f"aws iam get-role --role-name {role_name} --query Role.AssumeRolePolicyDocument"
        if role_name
        else None
    )
    return Finding(
        rule=rule,
        principal=None,
        title=title(rule, None, context),
        detail=sanitize(f"IAM would not accept this trust policy: {reason}", DETAIL_LIMIT),
        remediation=Remediation(advice(rule), None, command),
    )


def _finding(exposures: Sequence[Exposure], analysis: PolicyAnalysis) -> Finding:
    first = exposures[0]
    context = analysis.context
    statements: dict[int, str] = {}
    details: list[str] = []
    for exposure in exposures:
        statements.setdefault(exposure.fix.statement.index, exposure.fix.statement.label)
        if exposure.detail not in details:
            details.append(exposure.detail)
    # A principal reached through the same statement twice (e.g. `"*"` pinned to two accounts)
    # needs its fix once.
    fixes = list(
        {(id(e.fix.statement), e.fix.principal, e.fix.add): e.fix for e in exposures}.values()
    )
    role_name = context.role.name if context.role else None

    def build() -> tuple[dict[str, Any] | None, str | None]:
        document = corrected_policy(analysis.policy, fixes)
        return document, apply_command(document, role_name)

    return Finding(
        rule=first.rule,
        principal=first.principal,
        title=title(first.rule, first.principal, context),
        detail=sanitize(" ".join(details), DETAIL_LIMIT),
        remediation=Remediation.deferred(advice(first.rule), build),
        statement_ids=tuple(sanitize(label, 120) for label in statements.values()),
    )

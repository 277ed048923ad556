"""SERVICE_CONFUSED_DEPUTY: a service principal that any account's resources could point at the
role, with no aws:Source* / ExternalId condition naming ours (RULES.md §4)."""

from __future__ import annotations

from collections.abc import Iterator

from trust_auditor.analysis import PolicyAnalysis
from trust_auditor.guards import GuardType
from trust_auditor.model import Rule
from trust_auditor.principals import Kind
from trust_auditor.rules.base import Exposure, Fix

RULES = (Rule.SERVICE_CONFUSED_DEPUTY,)

ACCOUNT_ID_PLACEHOLDER = "<ACCOUNT_ID>"
# These services only act for the role's own account (instances, functions, Lambda@Edge).
EXEMPT_SERVICES = frozenset(
    f"{name}.{suffix}"
    for name in ("ec2", "lambda", "edgelambda")
    for suffix in ("amazonaws.com", "amazonaws.com.cn")
)


def check(analysis: PolicyAnalysis) -> Iterator[Exposure]:
    role = analysis.context.role
    if role is not None and role.is_service_linked:
        return
    for principal in analysis.principals(Kind.SERVICE):
        if principal.value.lower() in EXEMPT_SERVICES or analysis.blocked(principal):
            continue
        for grant in analysis.grants(principal):
            if grant.effective(GuardType.SERVICE):
                continue
            weak = grant.weak(GuardType.SERVICE)
            why = (
                "its guard is weak ("
                + "; ".join(f"{g.condition.describe()}: {g.reason}" for g in weak)
                + ")"
                if weak
                else "no aws:SourceAccount, aws:SourceArn, aws:SourceOrgID or sts:ExternalId "
                "condition"
            )
            detail = (
                f"{grant.statement.label} lets {principal.value} assume the role for any "
                f"account's resources: {why}"
            )
            account = analysis.context.own_account_id or ACCOUNT_ID_PLACEHOLDER
            fix = Fix(
                grant.statement,
                principal.entry,
                add=(("StringEquals", "aws:SourceAccount", account),),
                remove=tuple(g.condition for g in weak),
            )
            yield Exposure(Rule.SERVICE_CONFUSED_DEPUTY, principal.value, detail, fix)

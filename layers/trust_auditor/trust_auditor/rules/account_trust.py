"""Trust of AWS accounts and of anyone: PUBLIC_TRUST, EXTERNAL_ID_MISSING, ORG_CONDITION_MISSING,
WEAK_CONDITION and FOREIGN_ORG_TRUST (RULES.md §4)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from trust_auditor.analysis import PolicyAnalysis
from trust_auditor.deny import DenyEffect
from trust_auditor.guards import Grant, Guard, GuardType, Verdict
from trust_auditor.model import Rule
from trust_auditor.principals import AccountClass, Kind, classify_account
from trust_auditor.rules.base import Exposure, Fix

RULES = (
    Rule.PUBLIC_TRUST,
    Rule.EXTERNAL_ID_MISSING,
    Rule.ORG_CONDITION_MISSING,
    Rule.WEAK_CONDITION,
    Rule.FOREIGN_ORG_TRUST,
)

EXTERNAL_ID_PLACEHOLDER = "<EXTERNAL_ID>"
ORG_ID_PLACEHOLDER = "<ORG_ID>"
_ACCOUNT_GUARDS = (GuardType.EXTERNAL_ID, GuardType.ORG)


def check(analysis: PolicyAnalysis) -> Iterator[Exposure]:
    for principal in analysis.principals(Kind.ACCOUNT, Kind.ANYONE):
        for grant in analysis.grants(principal):
            if principal.kind is Kind.ANYONE:
                yield from _anyone(analysis, grant)
            elif principal.account_id:
                denies = analysis.denies(principal)
                yield from _account(analysis, grant, principal.account_id, denies)


def _anyone(analysis: PolicyAnalysis, grant: Grant) -> Iterator[Exposure]:
    if grant.effective(GuardType.ORG):
        return
    principal = grant.principal
    denies = analysis.denies(principal)
    restricting = [
        d
        for d in denies
        if d.guard is None
        or (d.guard.type is GuardType.ORG and d.guard.verdict is Verdict.EFFECTIVE)
    ]
    accounts = grant.pinned_accounts
    if restricting:
        # Only the accounts every restricting Deny excepts get past them, unguarded.
        escaping = frozenset.intersection(*(d.excepted_accounts for d in restricting))
        accounts = escaping if accounts is None else accounts & escaping
        for account in sorted(accounts):
            yield from _account(analysis, grant, account, ())
        return
    if accounts is not None:
        for account in sorted(accounts):
            yield from _account(analysis, grant, account, analysis.denies(principal, account))
        return
    foreign = _foreign(grant, denies)
    if foreign is not None:
        yield _foreign_exposure(analysis, grant, foreign)
        return
    detail = (
        f"{grant.statement.label} lets any AWS principal call sts:AssumeRole: "
        f"{_guard_summary(grant)}"
    )
    yield Exposure(Rule.PUBLIC_TRUST, "*", detail, _org_fix(analysis, grant))
    yield from _weak(analysis, grant, _org_fix(analysis, grant))


def _account(
    analysis: PolicyAnalysis, grant: Grant, account: str, denies: Sequence[DenyEffect]
) -> Iterator[Exposure]:
    account_class = classify_account(account, analysis.context)
    if account_class in (AccountClass.OWN, AccountClass.TRUSTED):
        return
    if any(d.guard is None and account not in d.excepted_accounts for d in denies):
        return
    if grant.effective(*_ACCOUNT_GUARDS) or any(
        d.guard is not None and d.guard.verdict is Verdict.EFFECTIVE for d in denies
    ):
        return
    foreign = _foreign(grant, denies)
    if foreign is not None:
        yield _foreign_exposure(analysis, grant, foreign, account)
        return
    shown = grant.principal.value
    named = f"account {account}" + (f" (as {shown})" if shown != account else "")
    if account_class is AccountClass.THIRD_PARTY:
        rule = Rule.EXTERNAL_ID_MISSING
        fix = _guard_fix(grant, ("StringEquals", "sts:ExternalId", EXTERNAL_ID_PLACEHOLDER))
        who = f"{named}, outside the organization,"
    else:
        rule = Rule.ORG_CONDITION_MISSING
        fix = _org_fix(analysis, grant)
        who = f"{named}, a member of the organization listed by id,"
    detail = f"{grant.statement.label} lets {who} call sts:AssumeRole: {_guard_summary(grant)}"
    yield Exposure(rule, shown, detail, fix, account)
    yield from _weak(analysis, grant, fix, account)


def _foreign(grant: Grant, denies: Sequence[DenyEffect]) -> Guard | None:
    candidates = [grant.best(GuardType.ORG)] + [d.guard for d in denies]
    return next(
        (
            g
            for g in candidates
            if g is not None and g.verdict is Verdict.FOREIGN and g.type is GuardType.ORG
        ),
        None,
    )


def _foreign_exposure(
    analysis: PolicyAnalysis, grant: Grant, guard: Guard, account: str | None = None
) -> Exposure:
    """`account`: the one account the statement names (None for `"*"`: any account)."""
    detail = (
        f"{grant.statement.label}: the only organization condition, "
        f"{guard.condition.describe()}, {guard.reason}, not ours "
        f"({analysis.context.org_id}); no sts:ExternalId condition covers "
        f"{grant.principal.value}"
    )
    fix = _guard_fix(
        grant, ("StringEquals", "aws:PrincipalOrgID", analysis.context.org_id or ""), guard
    )
    return Exposure(Rule.FOREIGN_ORG_TRUST, grant.principal.value, detail, fix, account)


def _weak(
    analysis: PolicyAnalysis, grant: Grant, fix: Fix, account: str | None = None
) -> Iterator[Exposure]:
    weak = grant.weak(*_ACCOUNT_GUARDS)
    if weak:
        reasons = "; ".join(f"{g.condition.describe()}: {g.reason}" for g in weak)
        detail = f"{grant.statement.label} has a guard that does not hold: {reasons}"
        yield Exposure(Rule.WEAK_CONDITION, grant.principal.value, detail, fix, account)


def _guard_summary(grant: Grant) -> str:
    weak = grant.weak(*_ACCOUNT_GUARDS)
    if weak:
        return (
            "its guard is weak ("
            + "; ".join(f"{g.condition.describe()}: {g.reason}" for g in weak)
            + ")"
        )
    others = [c.describe() for c in grant.statement.conditions]
    if not others:
        return "no condition at all"
    wanted = (
        "aws:PrincipalOrgID"
        if grant.principal.kind is Kind.ANYONE
        else ("sts:ExternalId or aws:PrincipalOrgID")
    )
    return f"no effective {wanted} condition (it has only {', '.join(others)})"


def _org_fix(analysis: PolicyAnalysis, grant: Grant) -> Fix:
    org_id = analysis.context.org_id or ORG_ID_PLACEHOLDER
    return _guard_fix(grant, ("StringEquals", "aws:PrincipalOrgID", org_id))


def _guard_fix(grant: Grant, add: tuple[str, str, str], *replaced: Guard) -> Fix:
    weak = grant.weak(*_ACCOUNT_GUARDS)
    remove = tuple(g.condition for g in (*weak, *replaced))
    return Fix(grant.statement, grant.principal.entry, add=(add,), remove=remove)

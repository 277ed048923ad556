"""Deny statements as guards (RULES.md §3): a Deny that applies to every request of a principal
unless it is in our organization, or passes the ExternalId, protects every Allow for it."""

from __future__ import annotations

from dataclasses import dataclass

from trust_auditor.conditions import has_policy_variable
from trust_auditor.guards import (
    EXTERNAL_ID,
    ORG_ID,
    ORG_PATHS,
    PRINCIPAL_ACCOUNT,
    PRINCIPAL_ARN,
    Guard,
    GuardType,
    Verdict,
    absent_for,
    known_values,
    org_guard,
    pins,
)
from trust_auditor.model import TrustContext
from trust_auditor.policy import Condition, Effect, Policy, Statement
from trust_auditor.principals import Kind, Principal, classify


@dataclass(frozen=True, slots=True)
class DenyEffect:
    """What one Deny statement does to the requests of one principal."""

    statement: Statement
    # None: it denies every request (but those of `excepted_accounts`); else the guard it is.
    guard: Guard | None
    # For `"*"`: accounts named by a negated aws:PrincipalAccount/PrincipalArn exception list.
    excepted_accounts: frozenset[str]


class _NotAGuardError(Exception):
    """Some request of the principal escapes this Deny: it cannot be relied on."""


def deny_effects(
    policy: Policy, principal: Principal, context: TrustContext, account_id: str | None = None
) -> tuple[DenyEffect, ...]:
    """The Deny statements that reliably restrict `principal` (for `"*"`, optionally as seen by
    one pinned account)."""
    effects = []
    for statement in policy.statements:
        if statement.effect is not Effect.DENY or not statement.covers_action(principal.action):
            continue
        if not _names(statement, principal, account_id):
            continue
        try:
            effects.append(_effect(statement, principal, context, account_id))
        except _NotAGuardError:
            continue
    return tuple(effects)


def _names(statement: Statement, principal: Principal, account_id: str | None) -> bool:
    account = account_id or principal.account_id
    for entry in statement.principals:
        if entry.field == "*" or (entry.field, entry.value) == (
            principal.entry.field,
            principal.entry.value,
        ):
            return True
        if account and entry.field == "AWS":
            named = classify(entry)
            if named.is_root and named.account_id == account:
                return True
    return False


def _effect(
    statement: Statement, principal: Principal, context: TrustContext, account_id: str | None
) -> DenyEffect:
    guard_types: set[GuardType] = set()
    org_verdicts: list[Guard] = []
    excepted: set[str] = set()
    for condition in statement.conditions:
        key = condition.key_lower
        if absent_for(principal, key):
            if not condition.operator.holds(condition.values, None):
                raise _NotAGuardError
            continue
        known = known_values(principal, key)
        if known is None and account_id and key == PRINCIPAL_ACCOUNT:
            known = (account_id,)
        if known is not None:
            if not condition.operator.holds(condition.values, known):
                raise _NotAGuardError
            continue
        if key in (EXTERNAL_ID, ORG_ID, ORG_PATHS) and _negated_guard(condition):
            if key == EXTERNAL_ID:
                guard_types.add(GuardType.EXTERNAL_ID)
            else:
                org = org_guard(condition, context, in_deny=True)
                if org is None or org.verdict is Verdict.WEAK:
                    raise _NotAGuardError
                guard_types.add(GuardType.ORG)
                org_verdicts.append(org)
            continue
        if principal.kind is Kind.ANYONE and key in (PRINCIPAL_ACCOUNT, PRINCIPAL_ARN):
            named = pins(condition, negated=True)
            if named is None:
                raise _NotAGuardError
            excepted |= named
            continue
        raise _NotAGuardError
    guard: Guard | None = None
    if GuardType.EXTERNAL_ID in guard_types:
        # ANDed with an org test, the Deny still lets anyone with the right ExternalId through.
        condition = next(c for c in statement.conditions if c.key_lower == EXTERNAL_ID)
        guard = Guard(GuardType.EXTERNAL_ID, Verdict.EFFECTIVE, condition, "")
    elif org_verdicts:
        guard = min(org_verdicts, key=lambda g: g.verdict)
    return DenyEffect(statement, guard, frozenset(excepted))


def _negated_guard(condition: Condition) -> bool:
    """A negated test that also holds when the key is missing, with literal values."""
    operator = condition.operator
    if not operator.negated or not operator.holds(condition.values, None):
        return False
    if condition.key_lower == EXTERNAL_ID:
        return not any(has_policy_variable(v) or "*" in v or "?" in v for v in condition.values)
    return True

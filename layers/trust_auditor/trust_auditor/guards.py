"""What each condition means for one principal kind: impossible, a guard (effective, weak or
naming a foreign organization), an account pin, or neither (RULES.md §2-3)."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass

from trust_auditor.conditions import SetQualifier, glob_match, has_policy_variable
from trust_auditor.model import ORG_ID_PATTERN, TrustContext
from trust_auditor.policy import Condition, Effect, Statement
from trust_auditor.principals import COGNITO_ISSUER, Kind, Principal

EXTERNAL_ID = "sts:externalid"
ORG_ID = "aws:principalorgid"
ORG_PATHS = "aws:principalorgpaths"
PRINCIPAL_ACCOUNT = "aws:principalaccount"
PRINCIPAL_ARN = "aws:principalarn"
IS_AWS_SERVICE = "aws:principalisawsservice"
SERVICE_NAME = "aws:principalservicename"

_SOURCE_KEYS = frozenset(
    {"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths"}
)
_EKS_POD_TAG_KEYS = frozenset(
    f"aws:requesttag/{tag}"
    for tag in (
        "eks-cluster-arn",
        "eks-cluster-name",
        "kubernetes-namespace",
        "kubernetes-service-account",
    )
)
_MFA_KEYS = frozenset({"aws:multifactorauthpresent", "aws:multifactorauthage"})
_CALLER_IDENTITY_KEYS = frozenset({PRINCIPAL_ACCOUNT, PRINCIPAL_ARN, ORG_ID, ORG_PATHS})
_SERVICE_ONLY_KEYS = _SOURCE_KEYS | {SERVICE_NAME, "aws:principalservicenameslist"}
# Operators whose match pins a value: positive string operators, plain or ForAnyValue.
_PINNING_OPERATORS = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike"})
_ARN_OPERATORS = frozenset({"ArnEquals", "ArnLike"})
_ORG_PATH = re.compile(f"({ORG_ID_PATTERN})/", re.IGNORECASE)
_GITHUB_ISSUER = "token.actions.githubusercontent.com"
_GITHUB_OWNER_KEYS = frozenset({"repository", "job_workflow_ref"})
_GITHUB_LITERAL_KEYS = frozenset({"repository_id", "repository_owner", "repository_owner_id"})
_GITHUB_SUB = re.compile(r"repo:[^/:]+/[^:]+:.+")


class Verdict(enum.IntEnum):
    """How good a guard is; higher is better, so `max` picks the best of several."""

    WEAK = 1
    FOREIGN = 2
    EFFECTIVE = 3


class GuardType(enum.StrEnum):
    EXTERNAL_ID = "sts:ExternalId"
    ORG = "aws:PrincipalOrgID"
    SERVICE = "aws:Source*"
    SUBJECT = "subject"


@dataclass(frozen=True, slots=True)
class Guard:
    type: GuardType
    verdict: Verdict
    condition: Condition
    reason: str


@dataclass(frozen=True, slots=True)
class Grant:
    """An Allow statement that lets `principal` assume the role, and what restricts it."""

    statement: Statement
    principal: Principal
    guards: tuple[Guard, ...]
    # For `"*"`: the accounts that aws:PrincipalAccount / aws:PrincipalArn restrict it to.
    pinned_accounts: frozenset[str] | None

    def best(self, *types: GuardType) -> Guard | None:
        found = [g for g in self.guards if g.type in types]
        return max(found, key=lambda g: g.verdict) if found else None

    def effective(self, *types: GuardType) -> bool:
        return any(g.verdict is Verdict.EFFECTIVE for g in self.guards if g.type in types)

    def weak(self, *types: GuardType) -> tuple[Guard, ...]:
        return tuple(g for g in self.guards if g.type in types and g.verdict is Verdict.WEAK)


class _ImpossibleError(Exception):
    """A condition that no request of this principal kind satisfies."""


def _namespace(key: str) -> str:
    if key.startswith(("aws:", "sts:", "saml:", "iam:")):
        return key.split(":", 1)[0]
    return key.rsplit(":", 1)[0]


def absent_for(principal: Principal, key: str) -> bool:
    """Keys that a request of this principal kind never carries (RULES.md §2)."""
    namespace = _namespace(key)
    kind = principal.kind
    if kind in (Kind.ACCOUNT, Kind.ANYONE):
        return key in _SERVICE_ONLY_KEYS or namespace not in ("aws", "sts")
    if kind is Kind.SERVICE:
        return key in _CALLER_IDENTITY_KEYS or key in _MFA_KEYS or namespace not in ("aws", "sts")
    if kind is Kind.WEB_IDENTITY:
        return (
            key in _CALLER_IDENTITY_KEYS
            or key in _MFA_KEYS
            or key == EXTERNAL_ID
            or (namespace not in ("aws", "sts") and namespace != principal.issuer)
        )
    return False


def known_values(principal: Principal, key: str) -> tuple[str, ...] | None:
    if key == IS_AWS_SERVICE:
        if principal.kind in (Kind.ACCOUNT, Kind.ANYONE):
            return ("false",)
        if principal.kind is Kind.SERVICE:
            return ("true",)
    if principal.kind is Kind.SERVICE and key == SERVICE_NAME:
        return (principal.value,)
    if principal.kind is Kind.ACCOUNT and principal.account_id:
        if key == PRINCIPAL_ACCOUNT:
            return (principal.account_id,)
        if key == PRINCIPAL_ARN and not principal.is_root:
            return (_caller_arn(principal.value),)
    return None


def _caller_arn(value: str) -> str:
    """aws:PrincipalArn of a request by this principal (a session's role ARN for assumed roles)."""
    if ":assumed-role/" not in value:
        return value
    prefix, _, rest = value.partition(":assumed-role/")
    partition_part, _, account = prefix.rpartition("::")
    return f"{partition_part.replace(':sts', ':iam')}::{account}:role/{rest.split('/', 1)[0]}"


def _has_wildcard(value: str) -> bool:
    return "*" in value or "?" in value


def _only_wildcards(value: str) -> bool:
    return value != "" and all(c in "*?" for c in value)


def _pin_form(condition: Condition) -> bool:
    """A positive string operator that a missing key cannot satisfy, plain or ForAnyValue."""
    operator = condition.operator
    return (
        operator.base is not None
        and operator.base.name in _PINNING_OPERATORS
        and not operator.if_exists
        and operator.qualifier is not SetQualifier.FOR_ALL_VALUES
    )


def _weak_form_reason(condition: Condition) -> str | None:
    """Why an operator admits requests it seems to exclude, on an Allow (None: it does not)."""
    operator = condition.operator
    if operator.is_null:
        if any(v.lower() == "false" for v in condition.values):
            return "Null only requires some value to be present"
        return None
    if operator.negated:
        return f"{operator.name} on an Allow admits every other value, and none"
    if operator.if_exists:
        return f"{operator.name} holds when the key is absent"
    if operator.qualifier is SetQualifier.FOR_ALL_VALUES:
        return f"{operator.name} holds when the key is absent"
    return None


def _value_problem(values: Iterable[str], *, partial_wildcards_weak: bool) -> str | None:
    for value in values:
        if has_policy_variable(value):
            return f"value {value[:80]!r} is a policy variable"
        if value == "*" or _only_wildcards(value):
            return f"value {value[:80]!r} matches anything"
        if partial_wildcards_weak and _has_wildcard(value):
            return f"value {value[:80]!r} is a wildcard pattern"
    return None


def _external_id_guard(condition: Condition) -> Guard | None:
    reason = _weak_form_reason(condition)
    if reason is not None:
        return Guard(GuardType.EXTERNAL_ID, Verdict.WEAK, condition, reason)
    if condition.operator.is_null or not _pin_form(condition):
        return None
    problem = _value_problem(condition.values, partial_wildcards_weak=True)
    if problem:
        return Guard(GuardType.EXTERNAL_ID, Verdict.WEAK, condition, problem)
    return Guard(GuardType.EXTERNAL_ID, Verdict.EFFECTIVE, condition, "")


def _org_of(condition: Condition, value: str) -> str | None:
    if condition.key_lower == ORG_ID:
        return value
    match = _ORG_PATH.match(value)
    return match.group(1) if match else None


def org_guard(
    condition: Condition, context: TrustContext, *, in_deny: bool = False
) -> Guard | None:
    """An aws:PrincipalOrgID / aws:PrincipalOrgPaths test. In an Allow it must be a positive
    operator; in a Deny the caller has checked that it is a negated one."""
    if not in_deny:
        reason = _weak_form_reason(condition)
        if reason is not None:
            return Guard(GuardType.ORG, Verdict.WEAK, condition, reason)
        if condition.operator.is_null or not _pin_form(condition):
            return None
    # aws:PrincipalOrgID is a sensitive key: any wildcard is weak. Paths need a literal `o-…/`.
    problem = _value_problem(condition.values, partial_wildcards_weak=condition.key_lower == ORG_ID)
    orgs = [_org_of(condition, v) for v in condition.values]
    if problem is None and any(org is None or _has_wildcard(org) for org in orgs):
        problem = "an organization path without a literal o-… organization id"
    if problem:
        return Guard(GuardType.ORG, Verdict.WEAK, condition, problem)
    ours = context.org_id
    foreign = sorted({o for o in orgs if o and ours and o.lower() != ours.lower()})
    if foreign:
        return Guard(GuardType.ORG, Verdict.FOREIGN, condition, f"names organization {foreign[0]}")
    return Guard(GuardType.ORG, Verdict.EFFECTIVE, condition, "")


def _service_guard(condition: Condition, principal: Principal) -> Guard | None:
    key = condition.key_lower
    is_pod_tag = key in _EKS_POD_TAG_KEYS and principal.value.startswith("pods.eks.")
    if not (key in _SOURCE_KEYS or key == EXTERNAL_ID or is_pod_tag):
        return None
    reason = _weak_form_reason(condition)
    if reason is None and not condition.operator.positive:
        reason = f"{condition.operator.name} does not pin a value"
    if reason is None:
        reason = _value_problem(condition.values, partial_wildcards_weak=key == EXTERNAL_ID)
    verdict = Verdict.WEAK if reason else Verdict.EFFECTIVE
    return Guard(GuardType.SERVICE, verdict, condition, reason or "")


def _subject_pinned(issuer: str, claim: str, value: str) -> bool:
    if has_policy_variable(value) or _only_wildcards(value):
        return False
    if issuer.startswith(_GITHUB_ISSUER):
        if claim == "sub":
            owner = value[5:].split("/", 1) if value.startswith("repo:") else []
            return len(owner) == 2 and owner[0] != "" and not _has_wildcard(owner[0])
        if claim in _GITHUB_OWNER_KEYS:
            owner = value.split("/", 1)
            return len(owner) == 2 and owner[0] != "" and not _has_wildcard(owner[0])
        return not _has_wildcard(value)
    if issuer.startswith("oidc.eks."):
        return _literal_segment(value, "system:serviceaccount:", ":")
    if "gitlab" in issuer:
        return _literal_segment(value, "project_path:", "/")
    if issuer == "app.terraform.io":
        return _literal_segment(value, "organization:", ":")
    return True


def _literal_segment(value: str, prefix: str, end: str) -> bool:
    if not value.startswith(prefix):
        return False
    segment, found, _ = value[len(prefix) :].partition(end)
    return bool(found and segment and not _has_wildcard(segment))


def _subject_claims(issuer: str) -> frozenset[str]:
    if issuer == COGNITO_ISSUER:
        return frozenset({"aud"})
    if issuer.startswith(_GITHUB_ISSUER):
        return frozenset({"sub"} | _GITHUB_OWNER_KEYS | _GITHUB_LITERAL_KEYS)
    return frozenset({"sub"})


def _always_carried_claim(claim: str) -> bool:
    # Every OIDC token carries `sub` and `aud`: set qualifiers act as the plain operator on them.
    return claim in ("sub", "aud")


def _subject_guard(condition: Condition, principal: Principal) -> Guard | None:
    issuer = principal.issuer or ""
    if _namespace(condition.key_lower) != issuer:
        return None
    claim = condition.key_lower[len(issuer) + 1 :]
    if claim not in _subject_claims(issuer):
        return None
    operator = condition.operator
    reason = None
    if (
        operator.base is None
        or operator.negated
        or operator.if_exists
        or operator.base.name not in _PINNING_OPERATORS
    ):
        reason = f"{operator.name} does not pin the subject"
    elif operator.qualifier is SetQualifier.FOR_ALL_VALUES and not _always_carried_claim(claim):
        reason = f"{operator.name} holds when the claim is absent"
    else:
        literal = operator.base.name != "StringLike"
        unpinned = [
            v
            for v in condition.values
            if not _subject_pinned(
                issuer, claim, v.replace("*", "\0").replace("?", "\0") if literal else v
            )
        ]
        if unpinned:
            reason = f"value {unpinned[0][:80]!r} does not pin an owner"
    verdict = Verdict.WEAK if reason else Verdict.EFFECTIVE
    return Guard(GuardType.SUBJECT, verdict, condition, reason or "")


def _subject_impossible(condition: Condition, principal: Principal) -> bool:
    """A literal GitHub `sub` no token carries (e.g. `repo:`): the statement grants nothing."""
    issuer = principal.issuer or ""
    operator = condition.operator
    if (
        not issuer.startswith(_GITHUB_ISSUER)
        or condition.key_lower != f"{issuer}:sub"
        or not operator.positive
        or operator.base is None
        or operator.base.name not in ("StringEquals", "StringEqualsIgnoreCase")
    ):
        return False
    return all(v.startswith("repo:") and not _GITHUB_SUB.fullmatch(v) for v in condition.values)


def _arn_account_matches(pattern: str, account_id: str) -> bool:
    if pattern == "*":
        return True
    parts = pattern.split(":", 5)
    return len(parts) == 6 and glob_match(parts[4], account_id)


def pins(condition: Condition, *, negated: bool = False) -> frozenset[str] | None:
    """The accounts an aws:PrincipalAccount / aws:PrincipalArn test names, when it names specific
    accounts with a positive (or, for a Deny's exception list, a negated) operator; else None."""
    operator = condition.operator
    if operator.base is None or operator.negated is not negated:
        return None
    # aws:PrincipalAccount / aws:PrincipalArn are always present for AWS callers, so IfExists and
    # set qualifiers change nothing here.
    base_name = operator.base.name.replace("Not", "")
    accounts: set[str] = set()
    for value in condition.values:
        if has_policy_variable(value):
            return None
        if condition.key_lower == PRINCIPAL_ACCOUNT:
            if base_name not in _PINNING_OPERATORS or _has_wildcard(value):
                return None
            accounts.add(value)
        else:
            if base_name not in _PINNING_OPERATORS | _ARN_OPERATORS:
                return None
            parts = value.split(":", 5)
            if len(parts) != 6 or not parts[4].isdigit():
                return None
            accounts.add(parts[4])
    return frozenset(accounts)


def _account_arn_possible(condition: Condition, account_id: str) -> bool:
    """Can some principal of this account satisfy an aws:PrincipalArn condition?"""
    operator = condition.operator
    if operator.base is None or operator.negated:
        return True
    if operator.base.name in _ARN_OPERATORS or operator.base.name in _PINNING_OPERATORS:
        return any(_arn_account_matches(v, account_id) for v in condition.values)
    return True


def analyse_grant(
    statement: Statement, principal: Principal, context: TrustContext
) -> Grant | None:
    """The grant an Allow statement makes to one principal, or None when it grants nothing."""
    if statement.effect is not Effect.ALLOW or not statement.covers_action(principal.action):
        return None
    guards: list[Guard] = []
    pinned: frozenset[str] | None = None
    try:
        for condition in statement.conditions:
            guard = _classify(condition, principal, context)
            if isinstance(guard, Guard):
                guards.append(guard)
            elif isinstance(guard, frozenset):
                pinned = guard if pinned is None else pinned & guard
    except _ImpossibleError:
        return None
    return Grant(statement, principal, tuple(guards), pinned)


def _classify(
    condition: Condition, principal: Principal, context: TrustContext
) -> Guard | frozenset[str] | None:
    """A guard, the accounts `"*"` is pinned to, or None; _ImpossibleError if unsatisfiable."""
    key = condition.key_lower
    if absent_for(principal, key):
        if not condition.operator.holds(condition.values, None):
            raise _ImpossibleError
        return None
    known = known_values(principal, key)
    if known is not None:
        if not condition.operator.holds(condition.values, known):
            raise _ImpossibleError
        return None
    kind = principal.kind
    if kind in (Kind.ACCOUNT, Kind.ANYONE):
        if key == EXTERNAL_ID:
            return _external_id_guard(condition)
        if key in (ORG_ID, ORG_PATHS):
            return org_guard(condition, context)
        if key == PRINCIPAL_ARN and kind is Kind.ACCOUNT and principal.account_id:
            if not _account_arn_possible(condition, principal.account_id):
                raise _ImpossibleError
            return None
        if kind is Kind.ANYONE and key in (PRINCIPAL_ACCOUNT, PRINCIPAL_ARN):
            return pins(condition)
        return None
    if kind is Kind.SERVICE:
        return _service_guard(condition, principal)
    if kind is Kind.WEB_IDENTITY:
        if _subject_impossible(condition, principal):
            raise _ImpossibleError
        return _subject_guard(condition, principal)
    return None

"""A parsed policy seen per principal: who is named, which Allow statements grant them what, and
which Deny statements restrict them. Rule families read this; they do not re-walk the policy."""

from __future__ import annotations

from trust_auditor.deny import DenyEffect, deny_effects
from trust_auditor.guards import Grant, analyse_grant
from trust_auditor.model import TrustContext
from trust_auditor.policy import Effect, Policy, PrincipalEntry
from trust_auditor.principals import Kind, Principal, classify


class PolicyAnalysis:
    __slots__ = ("_allowed", "_by_kind", "_grants", "_principals", "context", "policy")

    def __init__(self, policy: Policy, context: TrustContext) -> None:
        self.policy = policy
        self.context = context
        self._principals: dict[PrincipalEntry, Principal] = {}
        self._grants: dict[PrincipalEntry, list[Grant]] = {}
        self._allowed: dict[PrincipalEntry, list[int]] = {}
        self._by_kind: dict[Kind, list[Principal]] = {}
        for statement in policy.statements:
            if statement.effect is not Effect.ALLOW:
                continue
            for entry in statement.principals:
                principal = self._principals.get(entry)
                if principal is None:
                    principal = self._principals[entry] = classify(entry)
                    self._by_kind.setdefault(principal.kind, []).append(principal)
                    self._grants[entry] = []
                    self._allowed[entry] = []
                self._allowed[entry].append(statement.index)
                grant = analyse_grant(statement, principal, context)
                if grant is not None:
                    self._grants[entry].append(grant)

    def principals(self, *kinds: Kind) -> list[Principal]:
        """Principals of these kinds named in an Allow statement, in order of appearance."""
        if len(kinds) == 1:
            return self._by_kind.get(kinds[0], [])
        return [p for p in self._principals.values() if p.kind in kinds]

    def grants(self, principal: Principal) -> list[Grant]:
        return self._grants[principal.entry]

    def allowing_statements(self, principal: Principal) -> list[int]:
        """Indexes of the Allow statements naming the principal, whether they grant it or not."""
        return self._allowed[principal.entry]

    def denies(self, principal: Principal, account_id: str | None = None) -> tuple[DenyEffect, ...]:
        return deny_effects(self.policy, principal, self.context, account_id)

    def blocked(self, principal: Principal) -> bool:
        """Does a Deny refuse every request of this principal?"""
        return any(d.guard is None and not d.excepted_accounts for d in self.denies(principal))

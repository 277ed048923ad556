"""What a rule family reports before findings are aggregated: one exposure per statement."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from trust_auditor.analysis import PolicyAnalysis
from trust_auditor.model import Rule
from trust_auditor.policy import Condition, PrincipalEntry, Statement


@dataclass(frozen=True, slots=True)
class Fix:
    """The change that removes an exposure from one statement, for one principal.

    `add` conditions are (operator, key, value); `remove` are the weak or wrong conditions the
    added guard replaces. `drop_principal` removes the principal instead (a deleted principal).
    """

    statement: Statement
    principal: PrincipalEntry
    add: tuple[tuple[str, str, str], ...] = ()
    remove: tuple[Condition, ...] = ()
    drop_principal: bool = False


@dataclass(frozen=True, slots=True)
class Exposure:
    rule: Rule
    principal: str
    detail: str
    fix: Fix
    # The account this exposure lets in; None when it is any account (or not an account).
    account: str | None = None


RuleCheck = Callable[[PolicyAnalysis], Iterator[Exposure]]

"""DANGLING_PRINCIPAL: IAM shows a unique id (AROA…, AIDA…) once the trusted principal was
deleted; a new principal of the same name is not trusted, so the entry only misleads."""

from __future__ import annotations

from collections.abc import Iterator

from trust_auditor.analysis import PolicyAnalysis
from trust_auditor.model import Rule
from trust_auditor.principals import Kind
from trust_auditor.rules.base import Exposure, Fix

RULES = (Rule.DANGLING_PRINCIPAL,)


def check(analysis: PolicyAnalysis) -> Iterator[Exposure]:
    for principal in analysis.principals(Kind.DELETED):
        for index in analysis.allowing_statements(principal):
            statement = analysis.policy.statements[index]
            detail = (
                f"{statement.label} names {principal.value}, the unique id IAM shows for a "
                "principal that was deleted"
            )
            fix = Fix(statement, principal.entry, drop_principal=True)
            yield Exposure(Rule.DANGLING_PRINCIPAL, principal.value, detail, fix)

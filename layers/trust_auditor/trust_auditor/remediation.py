"""The corrected trust policy for a finding (its guard added or fixed, nothing else changed) and
the `aws iam update-assume-role-policy` command that applies it."""

from __future__ import annotations

import json
import shlex
from collections.abc import Sequence
from typing import Any

from trust_auditor.policy import Condition, Policy, PrincipalEntry
from trust_auditor.rules.base import Fix

ROLE_NAME_PLACEHOLDER = "<ROLE_NAME>"


def _copy(value: Any) -> Any:
    """Deep copy of decoded JSON (much cheaper than copy.deepcopy)."""
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


def corrected_policy(policy: Policy, fixes: Sequence[Fix]) -> dict[str, Any] | None:
    """The document with every fix applied; None when nothing valid would be left."""
    document: dict[str, Any] = _copy(dict(policy.document))
    single = isinstance(document["Statement"], dict)
    statements: list[Any] = [document["Statement"]] if single else document["Statement"]
    # Later statements first, so that a statement split off one does not shift the others.
    for fix in sorted(fixes, key=lambda f: f.statement.index, reverse=True):
        index = fix.statement.index
        if fix.drop_principal:
            if not _remove_principal(statements[index], fix.principal):
                del statements[index]
            continue
        target = _isolate(statements, index, fix.principal)
        _remove_conditions(target, fix.remove)
        for operator, key, value in fix.add:
            target.setdefault("Condition", {}).setdefault(operator, {})[key] = value
    if not statements:
        return None
    document["Statement"] = statements[0] if single and len(statements) == 1 else statements
    return document


def apply_command(document: dict[str, Any] | None, role_name: str | None) -> str | None:
    if document is None:
        return None
    text = json.dumps(document, separators=(",", ":"))
    name = shlex.quote(role_name or ROLE_NAME_PLACEHOLDER)
    document_arg = shlex.quote(text)
    return f"aws iam update-assume-role-policy --role-name {name} --policy-document {document_arg}"


def _field(statement: dict[str, Any], entry: PrincipalEntry) -> str:
    return "AWS" if entry.field == "*" else entry.field


def _principal_count(principal: Any) -> int:
    if not isinstance(principal, dict):
        return 1
    return sum(1 if isinstance(v, str) else len(v) for v in principal.values())


def _remove_principal(statement: dict[str, Any], entry: PrincipalEntry) -> bool:
    """Remove the entry from the statement's Principal; False when none is left."""
    principal = statement["Principal"]
    if not isinstance(principal, dict):
        return False
    field = _field(statement, entry)
    values = principal.get(field)
    if isinstance(values, list):
        remaining = [v for v in values if v != entry.value]
        if remaining:
            principal[field] = remaining if len(remaining) > 1 else remaining[0]
        else:
            del principal[field]
    else:
        del principal[field]
    return bool(principal)


def _isolate(statements: list[Any], index: int, entry: PrincipalEntry) -> dict[str, Any]:
    """The statement to change for this principal: itself when it names no other principal,
    else a copy naming only this one, inserted right after it (the others keep the original)."""
    statement: dict[str, Any] = statements[index]
    if _principal_count(statement["Principal"]) <= 1:
        return statement
    _remove_principal(statement, entry)
    single: dict[str, Any] = _copy(statement)
    single["Principal"] = {_field(statement, entry): entry.value}
    if isinstance(statement.get("Sid"), str):
        single["Sid"] = f"{statement['Sid']}Guarded"
    statements.insert(index + 1, single)
    return single


def _remove_conditions(statement: dict[str, Any], conditions: Sequence[Condition]) -> None:
    blocks = statement.get("Condition")
    if not isinstance(blocks, dict):
        return
    for condition in conditions:
        block = blocks.get(condition.operator.name)
        if isinstance(block, dict):
            block.pop(condition.key, None)
            if not block:
                del blocks[condition.operator.name]
    if not blocks:
        del statement["Condition"]

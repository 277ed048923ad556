"""Parse a trust policy in any form IAM or CloudTrail hands it over into frozen dataclasses.

Anything IAM would not accept as a role trust policy raises PolicyError: the evaluator turns that
into an UNPARSEABLE_POLICY finding (fail closed).
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from trust_auditor.conditions import Operator, glob_match, parse_operator

VERSIONS = frozenset({"2012-10-17", "2008-10-17"})
_POLICY_ELEMENTS = frozenset({"Version", "Id", "Statement"})
_STATEMENT_ELEMENTS = frozenset(
    {
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Condition",
        "Resource",
        "NotResource",
    }
)


class PolicyError(ValueError):
    """The document is not a trust policy IAM would accept."""


class Effect(enum.StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


@dataclass(frozen=True, slots=True)
class Condition:
    operator: Operator
    key: str  # as written
    key_lower: str
    values: tuple[str, ...]

    def describe(self) -> str:
        """`StringLike sts:ExternalId "*"`, as a reader would write it."""
        quoted = ", ".join(f'"{v}"' for v in self.values)
        shown = quoted if len(self.values) == 1 else f"[{quoted}]"
        return f"{self.operator.name} {self.key} {shown}"


class PrincipalEntry(NamedTuple):
    """One principal value as written: `field` is AWS, Service or Federated ("*" for `"*"`)."""

    field: str
    value: str


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str | None
    effect: Effect
    principals: tuple[PrincipalEntry, ...]
    actions: tuple[str, ...]  # lower-cased: action names are case-insensitive
    not_action: bool
    conditions: tuple[Condition, ...]

    @property
    def label(self) -> str:
        return f"Statement[{self.index}]" + (f" (Sid {self.sid!r})" if self.sid else "")

    def covers_action(self, action: str) -> bool:
        """Action/NotAction match (`action` lower-case), with `*`/`?` wildcards."""
        matched = action in self.actions or any(
            glob_match(pattern, action)
            for pattern in self.actions
            if "*" in pattern or "?" in pattern
        )
        return not matched if self.not_action else matched


@dataclass(frozen=True, slots=True)
class Policy:
    version: str | None
    statements: tuple[Statement, ...]
    document: Mapping[str, Any]  # the decoded JSON, for remediation


def decode_document(document: Any) -> Any:
    """JSON text, URL-encoded JSON text (IAM's form) or an already decoded value."""
    if isinstance(document, bytes | bytearray):
        try:
            document = document.decode("utf-8")
        except UnicodeDecodeError as error:
            raise PolicyError("the document is not UTF-8 text") from error
    if not isinstance(document, str):
        return document
    if not document or document.isspace():
        raise PolicyError("the document is empty")
    text = document  # the decoder skips surrounding white space itself
    try:
        return _strict_json(text)
    except ValueError as error:
        if "%" in text:
            from urllib.parse import unquote  # noqa: PLC0415  (IAM's form; rare elsewhere)

            try:
                return _strict_json(unquote(text))
            except ValueError:
                pass
        raise PolicyError(f"the document is not valid JSON: {error}") from error


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


# One decoder for every call: json.loads with options builds a new one each time.
_strict_json = json.JSONDecoder(parse_constant=_reject_constant).decode


def parse_policy(document: Any) -> Policy:
    decoded = decode_document(document)
    if not isinstance(decoded, dict):
        raise PolicyError(f"the document is a JSON {_kind(decoded)}, not an object")
    unknown = decoded.keys() - _POLICY_ELEMENTS
    if unknown:
        raise PolicyError(f"unknown policy element {sorted(unknown)[0]!r}")
    version = decoded.get("Version")
    if version is not None and version not in VERSIONS:
        raise PolicyError(f"Version {str(version)[:40]!r} is not 2012-10-17 or 2008-10-17")
    raw_statements = decoded.get("Statement")
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list) or not raw_statements:
        raise PolicyError("Statement is missing, empty, or not an object or a list of objects")
    statements = tuple([_statement(i, raw) for i, raw in enumerate(raw_statements)])
    return Policy(version, statements, decoded)


def _kind(value: Any) -> str:
    return {list: "array", str: "string", type(None): "null", bool: "boolean"}.get(
        type(value), "number"
    )


_EFFECTS = {effect.value: effect for effect in Effect}


def _statement(index: int, raw: Any) -> Statement:
    where = f"Statement[{index}]"
    if not isinstance(raw, dict):
        raise PolicyError(f"{where} is not an object")
    unknown = raw.keys() - _STATEMENT_ELEMENTS
    if unknown:
        if "NotPrincipal" in unknown or "NotPrincipal" in raw:
            raise PolicyError(f"{where}: NotPrincipal is not allowed in a trust policy")
        raise PolicyError(f"{where}: unknown element {sorted(unknown)[0]!r}")
    if "NotPrincipal" in raw:
        raise PolicyError(f"{where}: NotPrincipal is not allowed in a trust policy")
    if "Resource" in raw or "NotResource" in raw:
        raise PolicyError(f"{where}: Resource/NotResource is not allowed in a trust policy")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyError(f"{where}: Sid is not a string")
    effect_name = raw.get("Effect")
    effect = _EFFECTS.get(effect_name) if isinstance(effect_name, str) else None
    if effect is None:
        raise PolicyError(f"{where}: Effect is missing or not Allow/Deny")
    not_action = "NotAction" in raw
    if ("Action" in raw) is not_action:
        raise PolicyError(f"{where}: needs exactly one of Action and NotAction")
    actions = _strings(raw["NotAction" if not_action else "Action"], where, "Action")
    if "Principal" not in raw:
        raise PolicyError(f"{where}: Principal is missing")
    principals = _principals(raw["Principal"], where)
    conditions = _conditions(raw.get("Condition"), where)
    lowered = tuple(action.lower() for action in actions)
    return Statement(index, sid, effect, principals, lowered, not_action, conditions)


def _strings(value: Any, where: str, element: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise PolicyError(f"{where} {element}: expected a string or a non-empty list of strings")
    return tuple(value)


_PRINCIPAL_FIELDS = ("AWS", "Service", "Federated")
UNIQUE_ID = re.compile(r"(?:AROA|AIDA)[A-Z0-9]{12,}")
# A bare account id, a deleted principal's unique id, or an account/user/role/session ARN.
_AWS_PRINCIPAL = re.compile(
    r"\d{12}|(?:AROA|AIDA)[A-Z0-9]{12,}"
    r"|arn:aws[a-z-]*:(?:iam::\d{12}:(?:root|user/.+|role/.+)|sts::\d{12}:assumed-role/.+/.+)"
)


def _principals(raw: Any, where: str) -> tuple[PrincipalEntry, ...]:
    if raw == "*":
        return (PrincipalEntry("*", "*"),)
    if not isinstance(raw, dict) or not raw:
        raise PolicyError(f'{where}: Principal must be "*" or an object of AWS/Service/Federated')
    entries: list[PrincipalEntry] = []
    for field, values in raw.items():
        if field not in _PRINCIPAL_FIELDS:
            raise PolicyError(f"{where}: principal type {str(field)[:40]!r} is not allowed")
        for value in _strings(values, where, f"Principal.{field}"):
            _check_principal(field, value, where)
            entries.append(PrincipalEntry("*" if (field, value) == ("AWS", "*") else field, value))
    return tuple(entries)


def _check_principal(field: str, value: str, where: str) -> None:
    if field == "AWS" and value == "*":
        return
    shown = value[:120]
    if "*" in value or "?" in value:
        raise PolicyError(f"{where}: wildcard inside principal {shown!r}")
    if field == "AWS" and not _AWS_PRINCIPAL.fullmatch(value):
        raise PolicyError(f"{where}: {shown!r} is not a valid AWS principal")
    if not value.strip():
        raise PolicyError(f"{where}: empty {field} principal")


def _conditions(raw: Any, where: str) -> tuple[Condition, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: Condition is not an object")
    conditions: list[Condition] = []
    for operator_name, block in raw.items():
        operator = parse_operator(operator_name)
        if operator is None:
            raise PolicyError(f"{where}: unknown condition operator {str(operator_name)[:60]!r}")
        if not isinstance(block, dict) or not block:
            raise PolicyError(f"{where}: {operator_name} must map condition keys to values")
        for key, values in block.items():
            conditions.append(
                Condition(operator, key, key.lower(), _condition_values(values, where, key))
            )
    return tuple(conditions)


def _condition_values(raw: Any, where: str, key: str) -> tuple[str, ...]:
    if isinstance(raw, str):
        return (raw,)
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise PolicyError(f"{where}: condition {key[:60]!r} has no values")
    values: list[str] = []
    for item in items:
        if isinstance(item, bool):
            values.append("true" if item else "false")
        elif isinstance(item, str):
            values.append(item)
        elif isinstance(item, int | float):
            values.append(json.dumps(item))
        else:
            raise PolicyError(f"{where}: condition {key[:60]!r} has a non-scalar value")
    return tuple(values)

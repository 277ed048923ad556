"""EventBridge event pattern matching, for the operators the template uses (and anything-but),
following the EventBridge user guide: every field of the pattern must match; a list of values
matches when any value matches; an array in the event matches when any element matches;
`{"exists": false}` matches an absent field. Unknown operators raise, so a pattern this module
cannot judge fails the test instead of passing it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_ABSENT = object()


class UnsupportedPatternError(ValueError):
    """The pattern uses an operator this matcher does not implement."""


def matches(pattern: Mapping[str, Any], event: Any) -> bool:
    return _match_object(pattern, event)


def _match_object(pattern: Mapping[str, Any], value: Any) -> bool:
    if isinstance(value, list):  # an array of objects: any element may match the sub-pattern
        return any(_match_object(pattern, item) for item in value)
    fields = value if isinstance(value, Mapping) else {}
    return all(_match_field(rule, fields.get(name, _ABSENT)) for name, rule in pattern.items())


def _match_field(rule: Any, value: Any) -> bool:
    if isinstance(rule, Mapping):
        return _match_object(rule, value)
    if not isinstance(rule, Sequence) or isinstance(rule, str):
        raise UnsupportedPatternError(f"a pattern leaf must be a list of values, not {rule!r}")
    return any(_match_condition(condition, value) for condition in rule)


def _leaves(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _match_condition(condition: Any, value: Any) -> bool:
    if not isinstance(condition, Mapping):
        return value is not _ABSENT and any(
            leaf == condition and type(leaf) is type(condition) for leaf in _leaves(value)
        )
    if len(condition) != 1:
        raise UnsupportedPatternError(f"one operator per condition: {condition!r}")
    ((operator, operand),) = condition.items()
    if operator == "exists":
        if isinstance(value, Mapping):  # exists applies to leaf fields only
            return False
        return (value is not _ABSENT) is operand
    if value is _ABSENT:
        return False
    if operator == "prefix":
        return any(isinstance(leaf, str) and leaf.startswith(operand) for leaf in _leaves(value))
    if operator == "anything-but":
        return all(not _is_excluded(leaf, operand) for leaf in _leaves(value))
    raise UnsupportedPatternError(f"operator {operator!r} is not implemented here")


def _is_excluded(leaf: Any, operand: Any) -> bool:
    if isinstance(operand, Mapping):
        if set(operand) != {"prefix"}:
            raise UnsupportedPatternError(f"anything-but {operand!r} is not implemented here")
        return isinstance(leaf, str) and leaf.startswith(operand["prefix"])
    excluded = operand if isinstance(operand, list) else [operand]
    return any(leaf == item and type(leaf) is type(item) for item in excluded)

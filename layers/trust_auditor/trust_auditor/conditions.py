"""IAM condition operators, evaluated as IAM evaluates them.

An operator name is exact (IAM rejects `stringEquals`):
`[ForAllValues:|ForAnyValue:]Base[IfExists]`.
A request value of `None` means the key is absent from the request context.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

RequestValues = Sequence[str] | None
Variables = Mapping[str, Sequence[str]]


class SetQualifier(enum.Enum):
    NONE = ""
    FOR_ALL_VALUES = "ForAllValues:"
    FOR_ANY_VALUE = "ForAnyValue:"


# Characters escaped with `${*}` / `${?}` in a `…Like` value stand for themselves, not wildcards.
_LITERAL_STAR = "\ue000"
_LITERAL_QUESTION = "\ue001"
_LITERALS = {_LITERAL_STAR: "*", _LITERAL_QUESTION: "?"}
_GLOB_SPECIAL = ("*", "?", _LITERAL_STAR, _LITERAL_QUESTION)


def _glob_regex(pattern: str, ignore_case: bool = False) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(_LITERALS.get(char, char)))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


_compiled_glob = cache(_glob_regex)


def glob_match(pattern: str, value: str, ignore_case: bool = False) -> bool:
    """IAM `…Like` matching: `*` any run of characters, `?` exactly one, nothing else special."""
    if not any(c in pattern for c in _GLOB_SPECIAL):
        return pattern.casefold() == value.casefold() if ignore_case else pattern == value
    return _compiled_glob(pattern, ignore_case).fullmatch(value) is not None


def arn_match(pattern: str, value: str) -> bool:
    """ArnEquals/ArnLike: the six colon-separated parts are matched one by one, with wildcards."""
    pattern_parts = pattern.split(":", 5)
    value_parts = value.split(":", 5)
    if len(pattern_parts) != 6 or len(value_parts) != 6:
        return False
    return all(glob_match(p, v) for p, v in zip(pattern_parts, value_parts, strict=True))


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> datetime | None:
    # Imported here: date and IP operators are rare in trust policies, and the core is imported
    # on every Lambda cold start.
    from datetime import UTC, datetime  # noqa: PLC0415

    try:
        return datetime.fromtimestamp(float(text), tz=UTC)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ip_in(network: str, address: str) -> bool:
    import ipaddress  # noqa: PLC0415  (see _date)

    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def _compare[T](parse: Callable[[str], T | None], test: Callable[[T, T], bool]) -> Matcher:
    def matcher(policy_value: str, request_value: str) -> bool:
        left, right = parse(request_value), parse(policy_value)
        return left is not None and right is not None and test(left, right)

    return matcher


Matcher = Callable[[str, str], bool]
"""(policy value, request value) -> does the request value match this policy value."""


def _string_equals(policy_value: str, request_value: str) -> bool:
    return policy_value == request_value


def _string_equals_ignore_case(policy_value: str, request_value: str) -> bool:
    return policy_value.casefold() == request_value.casefold()


def _bool_equals(policy_value: str, request_value: str) -> bool:
    return policy_value.lower() == request_value.lower()


def _binary_equals(policy_value: str, request_value: str) -> bool:
    return policy_value == request_value


@dataclass(frozen=True, slots=True)
class BaseOperator:
    name: str
    matcher: Matcher
    negated: bool
    # Values may hold policy variables (`${aws:username}`) for string and ARN operators only.
    takes_variables: bool
    wildcards: bool


def _base_operators() -> dict[str, BaseOperator]:
    # name: (matcher, takes policy variables, `*`/`?` are wildcards)
    positive: dict[str, tuple[Matcher, bool, bool]] = {
        "StringEquals": (_string_equals, True, False),
        "StringEqualsIgnoreCase": (_string_equals_ignore_case, True, False),
        "StringLike": (glob_match, True, True),
        "NumericEquals": (_compare(_number, lambda a, b: a == b), False, False),
        "NumericLessThan": (_compare(_number, lambda a, b: a < b), False, False),
        "NumericLessThanEquals": (_compare(_number, lambda a, b: a <= b), False, False),
        "NumericGreaterThan": (_compare(_number, lambda a, b: a > b), False, False),
        "NumericGreaterThanEquals": (_compare(_number, lambda a, b: a >= b), False, False),
        "DateEquals": (_compare(_date, lambda a, b: a == b), False, False),
        "DateLessThan": (_compare(_date, lambda a, b: a < b), False, False),
        "DateLessThanEquals": (_compare(_date, lambda a, b: a <= b), False, False),
        "DateGreaterThan": (_compare(_date, lambda a, b: a > b), False, False),
        "DateGreaterThanEquals": (_compare(_date, lambda a, b: a >= b), False, False),
        "Bool": (_bool_equals, False, False),
        "BinaryEquals": (_binary_equals, False, False),
        "IpAddress": (_ip_in, False, False),
        "ArnEquals": (arn_match, True, True),
        "ArnLike": (arn_match, True, True),
    }
    negations = {
        "StringNotEquals": "StringEquals",
        "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
        "StringNotLike": "StringLike",
        "NumericNotEquals": "NumericEquals",
        "DateNotEquals": "DateEquals",
        "NotIpAddress": "IpAddress",
        "ArnNotEquals": "ArnEquals",
        "ArnNotLike": "ArnLike",
    }
    table = {
        name: BaseOperator(name, matcher, False, variables, wildcards)
        for name, (matcher, variables, wildcards) in positive.items()
    }
    for name, positive_name in negations.items():
        base = table[positive_name]
        table[name] = BaseOperator(name, base.matcher, True, base.takes_variables, base.wildcards)
    return table


BASE_OPERATORS: Mapping[str, BaseOperator] = _base_operators()


@dataclass(frozen=True, slots=True)
class Operator:
    """A parsed condition operator such as `ForAnyValue:StringLikeIfExists`."""

    name: str
    base: BaseOperator | None  # None for `Null`
    qualifier: SetQualifier
    if_exists: bool

    @property
    def is_null(self) -> bool:
        return self.base is None

    @property
    def negated(self) -> bool:
        return self.base is not None and self.base.negated

    @property
    def positive(self) -> bool:
        """False on an absent key: not negated, not Null, not IfExists, not ForAllValues."""
        return (
            self.base is not None
            and not self.base.negated
            and not self.if_exists
            and self.qualifier is not SetQualifier.FOR_ALL_VALUES
        )

    def holds(
        self,
        policy_values: Sequence[str],
        request_values: RequestValues,
        variables: Variables | None = None,
    ) -> bool:
        """Does the condition `{self: {key: policy_values}}` hold for this request value?"""
        if self.base is None:
            return any(_null_holds(v, request_values) for v in policy_values)
        absent = request_values is None or len(request_values) == 0
        if absent:
            if self.if_exists:
                return True
            if self.qualifier is SetQualifier.FOR_ALL_VALUES:
                return True
            if self.qualifier is SetQualifier.FOR_ANY_VALUE:
                return False
            return self.base.negated
        assert request_values is not None
        patterns = (
            expand_variables(policy_values, variables, self.base.wildcards)
            if self.base.takes_variables
            else tuple(policy_values)
        )
        matcher, negated = self.base.matcher, self.base.negated

        def one(request_value: str) -> bool:
            matched = any(matcher(p, request_value) for p in patterns)
            return not matched if negated else matched

        if self.qualifier is SetQualifier.FOR_ALL_VALUES:
            return all(one(v) for v in request_values)
        if self.qualifier is SetQualifier.FOR_ANY_VALUE:
            return any(one(v) for v in request_values)
        # A single-valued operator on a multivalued key: IAM matches any of the values.
        if negated:
            return all(one(v) for v in request_values)
        return any(one(v) for v in request_values)


def _null_holds(policy_value: str, request_values: RequestValues) -> bool:
    absent = request_values is None or len(request_values) == 0
    flag = policy_value.lower()
    if flag == "true":
        return absent
    if flag == "false":
        return not absent
    return False


_SUFFIX = "IfExists"


@cache
def parse_operator(name: str) -> Operator | None:
    """The operator for an exact IAM operator name, or None when IAM would reject the name."""
    qualifier = SetQualifier.NONE
    base_name = name
    for candidate in (SetQualifier.FOR_ALL_VALUES, SetQualifier.FOR_ANY_VALUE):
        if name.startswith(candidate.value):
            qualifier, base_name = candidate, name[len(candidate.value) :]
            break
    if base_name == "Null":
        return Operator(name, None, qualifier, False) if qualifier is SetQualifier.NONE else None
    if_exists = base_name.endswith(_SUFFIX)
    if if_exists:
        base_name = base_name[: -len(_SUFFIX)]
    base = BASE_OPERATORS.get(base_name)
    if base is None:
        return None
    return Operator(name, base, qualifier, if_exists)


# Policy variables: `${aws:username}`, `${aws:PrincipalTag/team, 'default'}`, and the escapes
# `${*}`, `${?}`, `${$}` for literal characters.
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_ESCAPES = {"*": "*", "?": "?", "$": "$"}
_WILDCARD_ESCAPES = {"*": _LITERAL_STAR, "?": _LITERAL_QUESTION, "$": "$"}


def has_policy_variable(value: str) -> bool:
    """True when the value holds a policy variable (escapes such as `${*}` are not variables)."""
    return any(m.group(1).strip() not in _ESCAPES for m in _VARIABLE.finditer(value))


def expand_variables(
    values: Sequence[str], variables: Variables | None, wildcards: bool = False
) -> tuple[str, ...]:
    """Substitute policy variables; drop a value whose variable has no value and no default."""
    if not any("${" in v for v in values):
        return tuple(values)
    escapes = _WILDCARD_ESCAPES if wildcards else _ESCAPES
    expanded: list[str] = []
    for value in values:
        result = _expand_one(value, variables or {}, escapes)
        if result is not None:
            expanded.append(result)
    return tuple(expanded)


def _expand_one(value: str, variables: Variables, escapes: Mapping[str, str]) -> str | None:
    missing = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal missing
        body = match.group(1).strip()
        if body in escapes:
            return escapes[body]
        name, _, default = body.partition(",")
        found = _lookup(variables, name.strip())
        if found:
            return found[0]
        default = default.strip()
        if len(default) >= 2 and default[0] == default[-1] == "'":
            return default[1:-1]
        missing = True
        return ""

    result = _VARIABLE.sub(substitute, value)
    return None if missing else result


def _lookup(variables: Variables, name: str) -> Sequence[str] | None:
    lowered = name.lower()
    for key, values in variables.items():
        if key.lower() == lowered:
            return values
    return None

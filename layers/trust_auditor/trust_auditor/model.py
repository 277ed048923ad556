"""The core's value types: the evaluation context and the findings it produces."""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

_ACCOUNT_ID = re.compile(r"^\d{12}$")
# An AWS Organizations organization id, as Organizations issues it (unanchored: callers anchor).
ORG_ID_PATTERN = r"o-[a-z0-9]{10,32}"
_ROLE_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role(/.*)?/([\w+=,.@-]{1,64})$")


class Severity(enum.StrEnum):
    CRITICAL = "CRITICAL"
    HIGH = "HIGH"
    MEDIUM = "MEDIUM"
    LOW = "LOW"


class Rule(enum.StrEnum):
    """Rule ids of RULES.md §4; the string value is the public id."""

    PUBLIC_TRUST = "PUBLIC_TRUST"
    OIDC_SUBJECT_UNRESTRICTED = "OIDC_SUBJECT_UNRESTRICTED"
    EXTERNAL_ID_MISSING = "EXTERNAL_ID_MISSING"
    ORG_CONDITION_MISSING = "ORG_CONDITION_MISSING"
    WEAK_CONDITION = "WEAK_CONDITION"
    FOREIGN_ORG_TRUST = "FOREIGN_ORG_TRUST"
    SERVICE_CONFUSED_DEPUTY = "SERVICE_CONFUSED_DEPUTY"
    DANGLING_PRINCIPAL = "DANGLING_PRINCIPAL"
    UNPARSEABLE_POLICY = "UNPARSEABLE_POLICY"
    OBSERVED_UNGUARDED_ASSUMPTION = "OBSERVED_UNGUARDED_ASSUMPTION"


SEVERITY: Mapping[Rule, Severity] = MappingProxyType(
    {
        Rule.PUBLIC_TRUST: Severity.CRITICAL,
        Rule.OIDC_SUBJECT_UNRESTRICTED: Severity.CRITICAL,
        Rule.EXTERNAL_ID_MISSING: Severity.HIGH,
        Rule.ORG_CONDITION_MISSING: Severity.MEDIUM,
        Rule.WEAK_CONDITION: Severity.HIGH,
        Rule.FOREIGN_ORG_TRUST: Severity.HIGH,
        Rule.SERVICE_CONFUSED_DEPUTY: Severity.LOW,
        Rule.DANGLING_PRINCIPAL: Severity.LOW,
        Rule.UNPARSEABLE_POLICY: Severity.HIGH,
        Rule.OBSERVED_UNGUARDED_ASSUMPTION: Severity.HIGH,
    }
)


class ContextError(ValueError):
    """A TrustContext argument is malformed (bad role ARN or account id)."""


@dataclass(frozen=True, slots=True)
class RoleArn:
    partition: str
    account_id: str
    path: str
    name: str

    @classmethod
    def parse(cls, arn: str) -> RoleArn:
        match = _ROLE_ARN.match(arn)
        if match is None:
            raise ContextError(f"not an IAM role ARN: {arn[:200]!r}")
        partition, account_id, path, name = match.groups()
        return cls(partition, account_id, (path or "") + "/", name)

    @property
    def arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account_id}:role{self.path}{self.name}"

    @property
    def is_service_linked(self) -> bool:
        return self.path.startswith("/aws-service-role/")


def _account_ids(values: Iterable[str], what: str) -> frozenset[str]:
    if isinstance(values, str):
        values = [values]
    ids = frozenset(str(v).strip() for v in values)
    bad = sorted(v for v in ids if not _ACCOUNT_ID.match(v))
    if bad:
        raise ContextError(f"{what}: not a 12-digit account id: {bad[0][:40]!r}")
    return ids


@dataclass(frozen=True, slots=True, init=False)
class TrustContext:
    """What the evaluator knows about the role and its organization (RULES.md §1)."""

    role_arn: str | None
    org_id: str | None
    org_account_ids: frozenset[str]
    trusted_account_ids: frozenset[str]
    tags: Mapping[str, str]
    role: RoleArn | None

    def __init__(
        self,
        *,
        role_arn: str | None = None,
        org_id: str | None = None,
        org_account_ids: Iterable[str] = (),
        trusted_account_ids: Iterable[str] = (),
        tags: Mapping[str, str] | None = None,
    ) -> None:
        setter = object.__setattr__
        setter(self, "role_arn", role_arn or None)
        setter(self, "role", RoleArn.parse(role_arn) if role_arn else None)
        setter(self, "org_id", org_id or None)
        setter(self, "org_account_ids", _account_ids(org_account_ids, "org account"))
        setter(self, "trusted_account_ids", _account_ids(trusted_account_ids, "trusted account"))
        setter(self, "tags", MappingProxyType(dict(tags or {})))

    @property
    def own_account_id(self) -> str | None:
        return self.role.account_id if self.role else None

    @property
    def partition(self) -> str:
        return self.role.partition if self.role else "aws"


class Remediation:
    """How to fix a finding: advice, the corrected trust policy and the command applying it.

    The corrected policy and command may be built on first use (`deferred`): most findings of a
    bulk scan are counted or compared, and building every corrected document would double the
    evaluator's cost.
    """

    __slots__ = ("_build", "_built", "text")

    def __init__(
        self,
        text: str,
        corrected_policy: Mapping[str, Any] | None = None,
        command: str | None = None,
    ) -> None:
        self.text = text
        self._built: tuple[Mapping[str, Any] | None, str | None] | None = (
            corrected_policy,
            command,
        )
        self._build: Callable[[], tuple[Mapping[str, Any] | None, str | None]] | None = None

    @classmethod
    def deferred(
        cls, text: str, build: Callable[[], tuple[Mapping[str, Any] | None, str | None]]
    ) -> Remediation:
        remediation = cls(text)
        remediation._built, remediation._build = None, build
        return remediation

    def _parts(self) -> tuple[Mapping[str, Any] | None, str | None]:
        if self._built is None:
            assert self._build is not None
            self._built, self._build = self._build(), None
        return self._built

    @property
    def corrected_policy(self) -> Mapping[str, Any] | None:
        return self._parts()[0]

    @property
    def command(self) -> str | None:
        return self._parts()[1]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Remediation):
            return NotImplemented
        return (self.text, self._parts()) == (other.text, other._parts())

    def __hash__(self) -> int:
        return hash((self.text, self.command))

    def __repr__(self) -> str:
        return f"Remediation(text={self.text!r}, command={self.command!r})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "corrected_policy": self.corrected_policy,
            "command": self.command,
        }


@dataclass(frozen=True, slots=True)
class Finding:
    """One (rule, principal) result for one role. `principal` is None for UNPARSEABLE_POLICY."""

    rule: Rule
    principal: str | None
    title: str
    detail: str
    remediation: Remediation
    statement_ids: tuple[str, ...] = field(default=())

    @property
    def severity(self) -> Severity:
        return SEVERITY[self.rule]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule.value,
            "severity": self.severity.value,
            "principal": self.principal,
            "title": self.title,
            "detail": self.detail,
            "statements": list(self.statement_ids),
            "remediation": self.remediation.to_dict(),
        }

"""IAM roles as the auditor sees them, read from GetRole or GetAccountAuthorizationDetails."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from trust_auditor.model import ContextError, RoleArn

logger = logging.getLogger(__name__)

EXEMPT_TAG = "trust-auditor:exempt"
_DEFAULT_EXEMPTION_REASON = f"exempted by the {EXEMPT_TAG} tag"


def role_key(name: str) -> str:
    """One key per role whatever the case it is written in: IAM role names are not
    distinguished by case, and an event may spell a name otherwise than GetRole does."""
    return name.lower()


class RoleRecordError(ValueError):
    """A role entry lacks what identifies it (its ARN or name) or names an invalid ARN."""


@dataclass(frozen=True, slots=True)
class RoleRecord:
    """One role: identity, trust policy (dict, or the raw string IAM could not decode), tags."""

    arn: str
    name: str
    path: str
    account_id: str
    role_id: str | None
    trust_policy: Any
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    create_date: str | None = None

    @property
    def partition(self) -> str:
        return self.arn.split(":", 2)[1]

    @property
    def exemption_reason(self) -> str | None:
        """The `trust-auditor:exempt` tag value; IAM tag keys are case-insensitive, so is this."""
        for key, value in self.tags.items():
            if key.lower() == EXEMPT_TAG:
                return value.strip() or _DEFAULT_EXEMPTION_REASON
        return None


def roles_from_authorization_details(page: Mapping[str, Any]) -> Iterator[RoleRecord]:
    """Roles of one GetAccountAuthorizationDetails page or of a whole CLI export file."""
    details = page.get("RoleDetailList")
    if details is None:
        return
    if not isinstance(details, list):
        raise RoleRecordError("RoleDetailList is not a list")
    for item in details:
        yield role_from_iam(item)


def role_from_iam(item: Mapping[str, Any]) -> RoleRecord:
    """A RoleRecord from an IAM `Role` (GetRole) or `RoleDetail` (authorization details) item."""
    if not isinstance(item, Mapping):
        raise RoleRecordError("role entry is not an object")
    arn, name = item.get("Arn"), item.get("RoleName")
    if not isinstance(arn, str) or not isinstance(name, str):
        raise RoleRecordError("role entry lacks Arn or RoleName")
    try:
        parsed = RoleArn.parse(arn)
    except ContextError as error:
        raise RoleRecordError(str(error)) from error
    if parsed.name != name:
        raise RoleRecordError(f"role name {name[:64]!r} does not match its ARN {arn[:200]!r}")
    role_id = item.get("RoleId")
    return RoleRecord(
        arn=arn,
        name=name,
        path=parsed.path,
        account_id=parsed.account_id,
        role_id=role_id if isinstance(role_id, str) else None,
        trust_policy=item.get("AssumeRolePolicyDocument"),
        tags=MappingProxyType(_tags(item.get("Tags"))),
        create_date=_iso_date(item.get("CreateDate"), arn),
    )


def _tags(raw: Any) -> dict[str, str]:
    if not isinstance(raw, list):
        return {}
    return {
        tag["Key"]: str(tag.get("Value", ""))
        for tag in raw
        if isinstance(tag, Mapping) and isinstance(tag.get("Key"), str)
    }


def _iso_date(raw: Any, arn: str) -> str | None:
    """CreateDate as ISO 8601 UTC: boto3 gives a datetime, export files an ISO string."""
    if raw is None:
        return None
    moment: datetime | None = raw if isinstance(raw, datetime) else None
    if isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            moment = None
    if moment is None:
        # The date is informational: an unreadable one must not stop the audit.
        logger.warning("unreadable role CreateDate", extra={"role_arn": arn})
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

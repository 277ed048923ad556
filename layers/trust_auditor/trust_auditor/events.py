"""The functions' inputs: EventBridge envelopes of CloudTrail records, and scan requests.

Decisions:
- Only full EventBridge envelopes are accepted (that is what the rules deliver and what
  `events/*.json` hold); anything else is an InvalidEventError, so Lambda retries and then
  dead-letters the event instead of succeeding while doing nothing.
- A record with `errorCode` parses fine and carries `error_code`: the use case skips it
  deliberately (both rule patterns filter those out already; a replayed or hand-sent event
  may still carry one).
- TagRole / UntagRole count as role changes: they add or remove the `trust-auditor:exempt` tag.
- An AssumeRole record whose `userIdentity.type` is not `AWSAccount` is an InvalidEventError:
  the rule pattern filters on that type, so such an event means the rule is misconfigured,
  which must show up in the dead-letter queue rather than pass silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError

_CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")

RoleChangeName = Literal[
    "CreateRole", "UpdateAssumeRolePolicy", "DeleteRole", "TagRole", "UntagRole"
]
_ROLE_CHANGE_NAMES: tuple[RoleChangeName, ...] = get_args(RoleChangeName)


class InvalidEventError(ValueError):
    """The event is not one this function can handle; it must not be silently dropped."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class _UserIdentity(_Model):
    type: str | None = None
    account_id: str | None = Field(default=None, alias="accountId")


class _CloudTrailRecord(_Model):
    event_id: str = Field(alias="eventID", min_length=1)
    event_name: str = Field(alias="eventName")
    event_source: str = Field(alias="eventSource")
    event_time: str = Field(alias="eventTime")
    recipient_account_id: str | None = Field(default=None, alias="recipientAccountId")
    error_code: str | None = Field(default=None, alias="errorCode")
    source_ip_address: str | None = Field(default=None, alias="sourceIPAddress")
    user_identity: _UserIdentity = Field(default_factory=_UserIdentity, alias="userIdentity")
    request_parameters: dict[str, Any] | None = Field(default=None, alias="requestParameters")


class _Envelope(_Model):
    id: str = Field(min_length=1)
    detail_type: str = Field(alias="detail-type")
    source: str
    account: str
    time: str
    region: str
    detail: _CloudTrailRecord


@dataclass(frozen=True, slots=True)
class RoleChangeEvent:
    event_id: str  # the EventBridge event id (the correlation id)
    cloudtrail_event_id: str
    event_name: RoleChangeName
    role_name: str
    account_id: str  # recipientAccountId: the role owner
    error_code: str | None


@dataclass(frozen=True, slots=True)
class AssumeRoleEvent:
    event_id: str
    cloudtrail_event_id: str
    role_arn: str
    caller_account_id: str
    account_id: str  # recipientAccountId: the role owner
    external_id_present: bool
    source_ip: str | None
    event_time: str
    error_code: str | None


class _ScanOptions(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    roles: tuple[str, ...] | None = Field(default=None, min_length=1)
    dry_run: StrictBool = False


@dataclass(frozen=True, slots=True)
class ScanRequest:
    roles: tuple[str, ...] | None = None  # None: every role of the account
    dry_run: bool = False


def parse_role_change_event(event: Mapping[str, Any]) -> RoleChangeEvent:
    envelope = _envelope(event, source="aws.iam")
    detail = envelope.detail
    if detail.event_name not in _ROLE_CHANGE_NAMES:
        raise InvalidEventError(f"not a role change: eventName {detail.event_name[:64]!r}")
    params = detail.request_parameters or {}
    role_name = params.get("roleName")
    if not isinstance(role_name, str) or not _ROLE_NAME.match(role_name):
        raise InvalidEventError("requestParameters.roleName is missing or not a role name")
    return RoleChangeEvent(
        event_id=envelope.id,
        cloudtrail_event_id=detail.event_id,
        event_name=detail.event_name,  # narrowed to RoleChangeName just above
        role_name=role_name,
        account_id=_owner_account(envelope),
        error_code=detail.error_code,
    )


def parse_assume_role_event(event: Mapping[str, Any]) -> AssumeRoleEvent:
    envelope = _envelope(event, source="aws.sts")
    detail = envelope.detail
    if detail.event_name != "AssumeRole":
        raise InvalidEventError(f"not an AssumeRole record: eventName {detail.event_name[:64]!r}")
    identity = detail.user_identity
    if identity.type != "AWSAccount":
        raise InvalidEventError(
            f"userIdentity.type is {str(identity.type)[:32]!r}, not AWSAccount:"
            " the AssumeRole rule pattern should have filtered this event"
        )
    if identity.account_id is None or not _ACCOUNT_ID.match(identity.account_id):
        raise InvalidEventError("userIdentity.accountId is missing or not an account id")
    params = detail.request_parameters or {}
    role_arn = params.get("roleArn")
    if not isinstance(role_arn, str) or not role_arn:
        raise InvalidEventError("requestParameters.roleArn is missing")
    return AssumeRoleEvent(
        event_id=envelope.id,
        cloudtrail_event_id=detail.event_id,
        role_arn=role_arn,
        caller_account_id=identity.account_id,
        account_id=_owner_account(envelope),
        external_id_present=bool(params.get("externalId")),
        source_ip=detail.source_ip_address,
        event_time=detail.event_time,
        error_code=detail.error_code,
    )


def parse_scan_request(event: Mapping[str, Any]) -> ScanRequest:
    """`{"roles": [...], "dry_run": bool}` (both optional), or a scheduled EventBridge event
    whose `detail` holds those options (usually `{}`: scan everything)."""
    if not isinstance(event, Mapping):
        raise InvalidEventError("the scan request is not a JSON object")
    is_envelope = "detail-type" in event
    options = (event.get("detail") or {}) if is_envelope else event
    try:
        parsed = _ScanOptions.model_validate(options)
    except ValidationError as error:
        raise InvalidEventError(f"invalid scan request: {_summary(error)}") from error
    bad = [name for name in parsed.roles or () if not _ROLE_NAME.match(name)]
    if bad:
        raise InvalidEventError(f"not a role name: {bad[0][:64]!r}")
    return ScanRequest(roles=parsed.roles, dry_run=parsed.dry_run)


def _envelope(event: Mapping[str, Any], *, source: str) -> _Envelope:
    if not isinstance(event, Mapping):
        raise InvalidEventError("the event is not a JSON object")
    try:
        envelope = _Envelope.model_validate(event)
    except ValidationError as error:
        raise InvalidEventError(
            f"not an EventBridge CloudTrail event: {_summary(error)}"
        ) from error
    if envelope.source != source or envelope.detail_type != _CLOUDTRAIL_DETAIL_TYPE:
        raise InvalidEventError(
            f"expected source {source!r} and detail-type {_CLOUDTRAIL_DETAIL_TYPE!r},"
            f" got {envelope.source[:64]!r} and {envelope.detail_type[:64]!r}"
        )
    return envelope


def _owner_account(envelope: _Envelope) -> str:
    account = envelope.detail.recipient_account_id or envelope.account
    if not _ACCOUNT_ID.match(account):
        raise InvalidEventError("the event names no valid recipient account id")
    return account


def _summary(error: ValidationError) -> str:
    """Field locations and messages only: never echo the (untrusted, possibly huge) input."""
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or '<root>'}: {item['msg']}"
        for item in error.errors(include_input=False)[:5]
    )

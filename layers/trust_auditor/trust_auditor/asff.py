"""Findings in the AWS Security Finding Format (pure: no AWS calls, the clock is passed in).

Limits from the ASFF reference: Id ≤ 512, Title ≤ 256, Description ≤ 1024,
Remediation.Recommendation.Text ≤ 512, Note.Text ≤ 512, ProductFields ≤ 50 pairs with keys
≤ 128 and values ≤ 2048, AwsIamRole.AssumeRolePolicyDocument ≤ 131072 characters of
[\\t\\n\\r\\x20-\\x7e\\xa1-\\xff].
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from trust_auditor.model import Finding, Rule
from trust_auditor.roles import RoleRecord, role_key
from trust_auditor.text import sanitize, strip_control

PRODUCT_NAME = "trust-auditor"
NOTE_AUTHOR = PRODUCT_NAME  # Note.UpdatedBy: tells this product's suppressions from others'
GENERATOR_PREFIX = "trust-auditor/"
ID_PREFIX = "trust-auditor/"
FIELD_PREFIX = "trust-auditor/"
SCHEMA_VERSION = "2018-10-08"

TITLE_MAX = 256
DESCRIPTION_MAX = 1024
RECOMMENDATION_MAX = 512
NOTE_MAX = 512
PRODUCT_FIELD_MAX = 2048
POLICY_DOCUMENT_MAX = 131072

# ProductFields keys this product writes (and reads back when it re-checks a stored finding).
FIELD_RULE = FIELD_PREFIX + "Rule"
FIELD_PRINCIPAL = FIELD_PREFIX + "Principal"
FIELD_ROLE_NAME = FIELD_PREFIX + "RoleName"
FIELD_ROLE_ARN = FIELD_PREFIX + "RoleArn"
FIELD_STATEMENTS = FIELD_PREFIX + "Statements"
FIELD_COMMAND = FIELD_PREFIX + "RemediationCommand"
FIELD_CORRECTED_POLICY = FIELD_PREFIX + "CorrectedPolicy"
FIELD_CALLER_ACCOUNT = FIELD_PREFIX + "CallerAccountId"
FIELD_EVENT_ID = FIELD_PREFIX + "EventId"
FIELD_EVENT_TIME = FIELD_PREFIX + "EventTime"
FIELD_SOURCE_IP = FIELD_PREFIX + "SourceIp"
# Set only on the import that opens a finding (creates it, or brings it back from ARCHIVED /
# PASSED, or lifts this product's suppression): the alert rule matches it, so that the
# "Findings - Imported" event of every later re-import (each scan) does not alert again.
FIELD_ALERT = FIELD_PREFIX + "Alert"
ALERT_NEW = "new"

_BEST_PRACTICES = "Software and Configuration Checks/AWS Security Best Practices"
_TYPES: Mapping[Rule, tuple[str, ...]] = {
    Rule.OBSERVED_UNGUARDED_ASSUMPTION: ("TTPs/Initial Access",)
}

# The top-level fields this product imports: re-imports (archive) carry only these, never the
# fields Security Hub or the customer own (Workflow, Note, ProcessedAt, ...).
_IMPORTED_FIELDS = frozenset(
    {
        "SchemaVersion",
        "Id",
        "ProductArn",
        "ProductName",
        "GeneratorId",
        "AwsAccountId",
        "Types",
        "CreatedAt",
        "UpdatedAt",
        "Severity",
        "Title",
        "Description",
        "Remediation",
        "ProductFields",
        "Resources",
        "Compliance",
        "RecordState",
        "FindingProviderFields",
    }
)

# C0/C1 controls and the bidirectional overrides that can disguise text in a console.
_NOT_POLICY_CHAR = re.compile(r"[^\t\n\r\x20-\x7e\xa1-\xff]")


WorkflowStatus = Literal["NEW", "NOTIFIED", "SUPPRESSED", "RESOLVED"]


@dataclass(frozen=True, slots=True)
class WorkflowChange:
    """A BatchUpdateFindings change of one finding's Workflow.Status, with a Note."""

    finding_id: str
    product_arn: str
    status: WorkflowStatus
    note: str


@dataclass(frozen=True, slots=True)
class FindingScope:
    """Where findings are imported: the calling account, its partition and the home region."""

    account_id: str
    partition: str
    region: str

    @property
    def product_arn(self) -> str:
        return (
            f"arn:{self.partition}:securityhub:{self.region}:{self.account_id}"
            f":product/{self.account_id}/default"
        )


def finding_id(account_id: str, role_name: str, rule: Rule | str, principal: str | None) -> str:
    """Deterministic: the same (account, role, rule, principal) is always the same finding,
    whatever the case the role name is written in. The role-key prefix lets one role's
    findings be looked up by Id PREFIX."""
    digest = hashlib.sha256(
        "\x1f".join((account_id, role_key(role_name), str(rule), principal or "")).encode()
    ).hexdigest()
    return f"{role_id_prefix(account_id, role_name)}{digest[:40]}"


def role_id_prefix(account_id: str, role_name: str) -> str:
    # Role names cannot contain "/": the trailing slash keeps "a/" from matching "ab/".
    return f"{ID_PREFIX}{account_id}/{role_key(role_name)}/"


def role_key_of(finding_id: str, account_id: str) -> str | None:
    """The role key (`roles.role_key`) inside an Id made by `finding_id`, or None for any
    other Id."""
    prefix = f"{ID_PREFIX}{account_id}/"
    if not finding_id.startswith(prefix):
        return None
    name, slash, _ = finding_id[len(prefix) :].partition("/")
    return role_key(name) if slash and name else None


def import_reopens(previous: Mapping[str, Any]) -> bool:
    """Whether importing a finding stored as `previous` (empty: not stored) opens it: creates
    it, or brings it back from ARCHIVED or from a PASSED compliance status."""
    return (
        not previous
        or previous.get("RecordState") == "ARCHIVED"
        or (previous.get("Compliance") or {}).get("Status") == "PASSED"
    )


def format_timestamp(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds, a form Security Hub accepts."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_timestamp(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def next_updated_at(now: datetime, previous: Any) -> datetime:
    """Security Hub ignores an update that is not newer than the stored one: stay ahead of it
    even when this clock lags the clock that wrote `previous`."""
    last = parse_timestamp(previous)
    if last is None:
        return now
    return max(now, last + timedelta(milliseconds=1))


def to_asff(
    finding: Finding,
    role: RoleRecord,
    *,
    scope: FindingScope,
    created_at: datetime,
    updated_at: datetime,
    extra_fields: Mapping[str, str] | None = None,
    alert: bool = False,
) -> dict[str, Any]:
    """One ASFF finding for `finding` on `role`, active and failing; `alert` marks the import
    that opens it (FIELD_ALERT)."""
    severity = {"Label": finding.severity.value, "Original": finding.severity.value}
    types = list(_TYPES.get(finding.rule, (_BEST_PRACTICES,)))
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(scope.account_id, role.name, finding.rule, finding.principal),
        "ProductArn": scope.product_arn,
        "ProductName": PRODUCT_NAME,
        "GeneratorId": GENERATOR_PREFIX + finding.rule.value,
        "AwsAccountId": scope.account_id,
        "Types": types,
        "CreatedAt": format_timestamp(created_at),
        "UpdatedAt": format_timestamp(updated_at),
        "Severity": severity,
        "Title": sanitize(finding.title, TITLE_MAX) or finding.rule.value,
        "Description": sanitize(finding.detail, DESCRIPTION_MAX, single_line=False)
        or finding.rule.value,
        "Remediation": {"Recommendation": {"Text": _recommendation(finding)}},
        "ProductFields": _product_fields(finding, role, extra_fields or {}, alert=alert),
        "Resources": [_resource(role, scope)],
        "Compliance": {"Status": "FAILED"},
        "RecordState": "ACTIVE",
        "FindingProviderFields": {"Severity": severity, "Types": types},
    }


def archived(stored: Mapping[str, Any], *, updated_at: datetime) -> dict[str, Any]:
    """The stored finding re-imported as resolved: ARCHIVED, PASSED, newer UpdatedAt."""
    finding = {key: value for key, value in stored.items() if key in _IMPORTED_FIELDS}
    finding["ProductFields"] = {
        key: value for key, value in own_product_fields(stored).items() if key != FIELD_ALERT
    }
    finding["RecordState"] = "ARCHIVED"
    finding["Compliance"] = {"Status": "PASSED"}
    finding["UpdatedAt"] = format_timestamp(updated_at)
    return finding


def own_product_fields(stored: Mapping[str, Any]) -> dict[str, str]:
    """This product's ProductFields of a stored finding (Security Hub adds its own keys)."""
    fields = stored.get("ProductFields")
    if not isinstance(fields, Mapping):
        return {}
    return {
        key: value
        for key, value in fields.items()
        if isinstance(key, str) and key.startswith(FIELD_PREFIX) and isinstance(value, str)
    }


def policy_document_text(document: Any) -> str | None:
    """The trust policy as ASFF accepts it: JSON text of the allowed characters only."""
    if document is None:
        return None
    text = document if isinstance(document, str) else json.dumps(document, ensure_ascii=True)
    text = _NOT_POLICY_CHAR.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return text[:POLICY_DOCUMENT_MAX] or None


def _recommendation(finding: Finding) -> str:
    remediation = finding.remediation
    text = remediation.text
    if remediation.command:
        text = f"{text} Command: {remediation.command}"
    return (
        sanitize(text, RECOMMENDATION_MAX, single_line=False) or "Review the role's trust policy."
    )


def _product_fields(
    finding: Finding, role: RoleRecord, extra_fields: Mapping[str, str], *, alert: bool
) -> dict[str, str]:
    remediation = finding.remediation
    fields = {
        FIELD_RULE: finding.rule.value,
        FIELD_ROLE_NAME: role.name,
        FIELD_ROLE_ARN: role.arn,
        FIELD_PRINCIPAL: sanitize(finding.principal or "", PRODUCT_FIELD_MAX),
        FIELD_STATEMENTS: sanitize(",".join(finding.statement_ids), PRODUCT_FIELD_MAX),
        # Machine-readable values are kept whole or left out: a cut command or policy is wrong.
        FIELD_COMMAND: _whole(remediation.command),
        FIELD_CORRECTED_POLICY: _whole(
            json.dumps(remediation.corrected_policy, separators=(",", ":"))
            if remediation.corrected_policy is not None
            else None
        ),
    }
    fields.update({key: sanitize(value, PRODUCT_FIELD_MAX) for key, value in extra_fields.items()})
    if alert:
        fields[FIELD_ALERT] = ALERT_NEW
    return {key: value for key, value in fields.items() if value}


def _whole(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = strip_control(value)
    return cleaned if len(cleaned) <= PRODUCT_FIELD_MAX else None


def _resource(role: RoleRecord, scope: FindingScope) -> dict[str, Any]:
    details: dict[str, Any] = {"RoleName": role.name, "Path": role.path}
    document = policy_document_text(role.trust_policy)
    if document is not None:
        details["AssumeRolePolicyDocument"] = document
    if role.role_id:
        details["RoleId"] = role.role_id
    if role.create_date:
        details["CreateDate"] = role.create_date
    return {
        "Type": "AwsIamRole",
        "Id": role.arn,
        "Partition": scope.partition,
        "Region": scope.region,
        "Details": {"AwsIamRole": details},
    }

"""Workarounds for moto 5.2's Security Hub gaps, installed on a client with botocore event
hooks (test code only): GetFindings ignores its Filters (filtered here after the call; a
filter not understood here raises rather than being ignored), BatchUpdateFindings does not
exist (applied here to moto's stored findings), and BatchImportFindings leaves Workflow alone
(here a new finding gets NEW, and a finding that comes back from ARCHIVED / PASSED has
NOTIFIED or RESOLVED reset to NEW, SUPPRESSED kept, as the Security Hub API reference
describes Workflow.Status)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from moto.securityhub.models import securityhub_backends

_FILTERS_KEY = "moto_workaround_filters"
_PRIOR_STATES_KEY = "moto_workaround_prior_states"
_RESET_ON_REOPEN = frozenset({"NOTIFIED", "RESOLVED"})
_FAILING_COMPLIANCE = frozenset({"WARNING", "FAILED", "NOT_AVAILABLE"})


def install_securityhub_workarounds(client: Any) -> None:
    events = client.meta.events
    events.register("before-parameter-build.securityhub.GetFindings", _remember_filters)
    events.register("after-call.securityhub.GetFindings", _apply_filters)
    events.register("before-call.securityhub.BatchUpdateFindings", _batch_update_findings)
    events.register("before-call.securityhub.BatchImportFindings", _remember_prior_states)
    events.register("after-call.securityhub.BatchImportFindings", _reset_workflow)


def stored_findings(account_id: str, region: str = "us-east-1") -> list[dict[str, Any]]:
    """Every finding moto holds for the account and region (a test's view of Security Hub)."""
    return [dict(f.data) for f in securityhub_backends[account_id][region].findings]


def _stored(account_id: str, region: str, finding_id: str) -> Any | None:
    backend = securityhub_backends[account_id][region]
    return next((f for f in backend.findings if f.id == finding_id), None)


def _location(finding: Mapping[str, Any]) -> tuple[str, str]:
    """(account, region) of the finding, from its product ARN."""
    _, _, _, region, account_id, _ = str(finding["ProductArn"]).split(":", 5)
    return account_id, region


def _state(data: Mapping[str, Any]) -> tuple[str, str]:
    return str(data.get("RecordState", "")), str((data.get("Compliance") or {}).get("Status", ""))


def _remember_prior_states(params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
    prior: dict[str, tuple[str, str, tuple[str, str] | None]] = {}
    for finding in json.loads(params["body"]).get("Findings", []):
        account_id, region = _location(finding)
        stored = _stored(account_id, region, finding["Id"])
        prior[finding["Id"]] = (account_id, region, _state(stored.data) if stored else None)
    context[_PRIOR_STATES_KEY] = prior


def _reset_workflow(context: dict[str, Any], **_: Any) -> None:
    prior: dict[str, tuple[str, str, tuple[str, str] | None]] = context.pop(_PRIOR_STATES_KEY, {})
    for finding_id, (account_id, region, before) in prior.items():
        stored = _stored(account_id, region, finding_id)
        if stored is None:  # rejected by the import
            continue
        if before is None:
            stored.data.setdefault("Workflow", {"Status": "NEW"})
            continue
        record_before, compliance_before = before
        record_now, compliance_now = _state(stored.data)
        reopened = (record_before == "ARCHIVED" and record_now == "ACTIVE") or (
            compliance_before == "PASSED" and compliance_now in _FAILING_COMPLIANCE
        )
        workflow = stored.data.setdefault("Workflow", {"Status": "NEW"})
        if reopened and workflow.get("Status") in _RESET_ON_REOPEN:
            workflow["Status"] = "NEW"


def _remember_filters(params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
    filters = params.get("Filters") or {}
    _check_understood(filters)
    context[_FILTERS_KEY] = filters


def _apply_filters(parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    filters = context.get(_FILTERS_KEY) or {}
    parsed["Findings"] = [f for f in parsed.get("Findings", []) if _matches(f, filters)]


def _top_level(name: str) -> Callable[[Mapping[str, Any]], list[str]]:
    return lambda finding: [str(finding.get(name, ""))]


# The string fields this workaround filters on, as Security Hub reads each from a finding.
_STRING_FIELDS: Mapping[str, Callable[[Mapping[str, Any]], list[str]]] = {
    **{
        name: _top_level(name)
        for name in ("ProductArn", "AwsAccountId", "GeneratorId", "Id", "RecordState")
    },
    "ResourceId": lambda finding: [str(r.get("Id")) for r in finding.get("Resources", [])],
    "SeverityLabel": lambda finding: [str((finding.get("Severity") or {}).get("Label", ""))],
    "WorkflowStatus": lambda finding: [str((finding.get("Workflow") or {}).get("Status", "NEW"))],
    "ComplianceStatus": lambda finding: [str((finding.get("Compliance") or {}).get("Status", ""))],
}
_STRING_COMPARISONS: Mapping[str, Callable[[str, str], bool]] = {
    "EQUALS": lambda value, expected: value == expected,
    "PREFIX": lambda value, expected: value.startswith(expected),
    "NOT_EQUALS": lambda value, expected: value != expected,
    "PREFIX_NOT_EQUALS": lambda value, expected: not value.startswith(expected),
}
_NEGATIVE_COMPARISONS = frozenset({"NOT_EQUALS", "PREFIX_NOT_EQUALS"})


def _check_understood(filters: Mapping[str, Any]) -> None:
    """Refuse, before the call, a filter this workaround would not apply as Security Hub does:
    ignoring it would show a test more findings than Security Hub returns."""
    for name, conditions in filters.items():
        if name == "ProductFields":
            comparisons = {c["Comparison"] for c in conditions} - {"EQUALS"}
        elif name in _STRING_FIELDS:
            comparisons = {c["Comparison"] for c in conditions} - set(_STRING_COMPARISONS)
        else:
            raise NotImplementedError(f"the moto workaround does not filter on {name}")
        if comparisons:
            raise NotImplementedError(
                f"the moto workaround does not compare {name} with {', '.join(sorted(comparisons))}"
            )


def _string_match(value: str, condition: Mapping[str, Any]) -> bool:
    return _STRING_COMPARISONS[condition["Comparison"]](value, str(condition["Value"]))


def _matches(finding: Mapping[str, Any], filters: Mapping[str, Any]) -> bool:
    """Security Hub semantics: positive comparisons on one field are ORed, negative ones
    ANDed; different fields are ANDed."""
    for name, conditions in filters.items():
        if name == "ProductFields":
            fields = finding.get("ProductFields") or {}
            if not all(fields.get(c["Key"]) == c["Value"] for c in conditions):
                return False
            continue
        values = _STRING_FIELDS[name](finding)
        positive = [c for c in conditions if c["Comparison"] not in _NEGATIVE_COMPARISONS]
        negative = [c for c in conditions if c["Comparison"] in _NEGATIVE_COMPARISONS]
        if positive and not any(_string_match(v, c) for v in values for c in positive):
            return False
        if not all(_string_match(v, c) for v in values for c in negative):
            return False
    return True


def _batch_update_findings(params: Mapping[str, Any], **_: Any) -> tuple[AWSResponse, Any]:
    request = json.loads(params["body"])
    processed, unprocessed = [], []
    for identifier in request["FindingIdentifiers"]:
        account_id, region = _location(identifier)
        stored = _stored(account_id, region, identifier["Id"])
        if stored is None:
            unprocessed.append(
                {
                    "FindingIdentifier": identifier,
                    "ErrorCode": "FindingNotFound",
                    "ErrorMessage": "no such finding",
                }
            )
            continue
        if "Workflow" in request:
            stored.data["Workflow"] = dict(request["Workflow"])
        if "Note" in request:
            stored.data["Note"] = {
                **request["Note"],
                "UpdatedAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            }
        processed.append(identifier)
    response = AWSResponse(url="", status_code=200, headers=HTTPHeaders(), raw=None)
    return response, {"ProcessedFindings": processed, "UnprocessedFindings": unprocessed}

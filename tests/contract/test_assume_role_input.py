"""The AssumeRole rule's InputTransformer: the function gets only what it reads. CloudTrail's
AssumeRole record carries the credentials STS issued (responseElements.credentials); they must
not reach the function, its failure queue or the rule's dead-letter queue, and what does reach
it must parse to the same AssumeRoleEvent as the whole record."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pytest

from tests.contract.eventbridge import matches
from tests.contract.template_support import REPO, translated
from tests.helpers.cloudtrail import envelope, shared_record
from trust_auditor.events import parse_assume_role_event

RULE = "AssumeRoleFunctionCrossAccountAssumeRole"
CREDENTIAL_KEYS = ("credentials", "accessKeyId", "sessionToken")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9]+)>")


def _rule() -> dict[str, Any]:
    rule: dict[str, Any] = translated()["Resources"][RULE]["Properties"]
    return rule


def _transform(transformer: Mapping[str, Any], event: Mapping[str, Any]) -> Any:
    """What EventBridge hands the target: each InputPathsMap variable is the value at its
    dot-notation JSON path (none when the path is absent), substituted into InputTemplate
    unescaped (EventBridge does not escape extracted values); the result is JSON."""
    variables: dict[str, Any] = {}
    for name, path in transformer["InputPathsMap"].items():
        assert path.startswith("$."), f"{name}: only dot-notation paths are supported"
        value: Any = event
        for key in path[2:].split("."):
            value = value.get(key) if isinstance(value, Mapping) else None
        if value is not None:
            variables[name] = value

    def substitute(match: re.Match[str]) -> str:
        value = variables.get(match.group(1))
        if value is None:
            return ""
        return value if isinstance(value, str) else json.dumps(value)

    return json.loads(_PLACEHOLDER.sub(substitute, transformer["InputTemplate"]))


CROSS_ACCOUNT_EVENTS = [
    # the event as EventBridge matches it, does the caller pass an externalId
    pytest.param(
        envelope(
            shared_record(
                "sts_AssumeRole_cross_account_no_externalId__role_account_side__awsdocs_example.json"
            )
        ),
        False,
        id="shared-awsdocs-no-external-id",
    ),
    pytest.param(
        envelope(
            shared_record(
                "sts_AssumeRole_cross_account_with_externalId__role_account_side__cloudsnitch_real.json"
            )
        ),
        True,
        id="shared-cloudsnitch-with-external-id",
    ),
    pytest.param(
        json.loads((REPO / "events" / "assume_role_cross_account.json").read_text()),
        False,
        id="events-cross-account",
    ),
    pytest.param(
        json.loads(
            (REPO / "events" / "assume_role_cross_account_with_external_id.json").read_text()
        ),
        True,
        id="events-with-external-id",
    ),
]


def test_every_assume_role_event_file_is_covered() -> None:
    covered = {"assume_role_cross_account.json", "assume_role_cross_account_with_external_id.json"}
    assert {path.name for path in (REPO / "events").glob("assume_role_*.json")} == covered


@pytest.mark.parametrize(("event", "external_id_present"), CROSS_ACCOUNT_EVENTS)
def test_transformed_event_parses_like_the_whole_record(
    event: dict[str, Any], external_id_present: bool
) -> None:
    rule = _rule()
    assert matches(rule["EventPattern"], event)
    (target,) = rule["Targets"]

    delivered = parse_assume_role_event(_transform(target["InputTransformer"], event))

    assert delivered == parse_assume_role_event(event)
    assert delivered.external_id_present is external_id_present


@pytest.mark.parametrize(("event", "external_id_present"), CROSS_ACCOUNT_EVENTS)
def test_issued_credentials_are_not_forwarded(
    event: dict[str, Any], external_id_present: bool
) -> None:
    (target,) = _rule()["Targets"]
    assert all(key in json.dumps(event) for key in CREDENTIAL_KEYS)  # the record has them

    delivered = json.dumps(_transform(target["InputTransformer"], event))

    assert [key for key in CREDENTIAL_KEYS if key in delivered] == []
    assert "responseElements" not in delivered

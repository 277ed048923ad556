"""The built functions, run as Lambda runs them (RIE + awslambdaric + the built layer), on the
events/*.json payloads, against moto: real findings land in Security Hub."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.local_invoke.conftest import Aws, LocalFunction

pytestmark = pytest.mark.local_invoke

EVENTS = Path(__file__).resolve().parents[2] / "events"
OUTSIDER = "444455556666"
UNGUARDED_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{OUTSIDER}:root"},
            "Action": "sts:AssumeRole",
        }
    ],
}
EXTERNAL_ID_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{OUTSIDER}:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "t-fZFf5o79ZxjFhK8XnfLRCD"}},
        }
    ],
}

StartFunction = Callable[[str], LocalFunction]


def _event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


def _role_name(event: dict[str, Any]) -> str:
    name: str = event["detail"]["requestParameters"]["roleName"]
    return name


def _active_rules(aws: Aws, role_arn: str) -> set[str]:
    return {
        finding["GeneratorId"]
        for finding in aws.findings_for(role_arn)
        if finding["RecordState"] == "ACTIVE"
    }


@pytest.mark.parametrize(
    "event_file",
    [
        pytest.param("role_change_create_role.json", id="create-role"),
        pytest.param("role_change_update_assume_role_policy.json", id="update-trust"),
    ],
)
def test_role_change_imports_findings_for_the_role(
    start_function: StartFunction, aws: Aws, event_file: str
) -> None:
    event = _event(event_file)
    role_arn = aws.create_role(_role_name(event), UNGUARDED_TRUST)

    result = start_function("RoleChangeFunction").invoke_ok(event)

    assert result["role_name"] == _role_name(event)
    assert result["findings_imported"] >= 1
    assert {finding["principal"] for finding in result["findings"]} >= {
        f"arn:aws:iam::{OUTSIDER}:root"
    }
    rules = _active_rules(aws, role_arn)
    assert rules and all(rule.startswith("trust-auditor/") for rule in rules)


def test_delete_role_archives_what_the_scan_found(start_function: StartFunction, aws: Aws) -> None:
    event = _event("role_change_delete_role.json")
    role_arn = aws.create_role(_role_name(event), UNGUARDED_TRUST)
    scan = start_function("ScanFunction").invoke_ok({"roles": [_role_name(event)]})
    assert scan["findings_imported"] >= 1 and _active_rules(aws, role_arn)
    aws.iam.delete_role(RoleName=_role_name(event))

    result = start_function("RoleChangeFunction").invoke_ok(event)

    assert result["findings_archived"] == scan["findings_imported"]
    assert _active_rules(aws, role_arn) == set()
    assert {finding["RecordState"] for finding in aws.findings_for(role_arn)} == {"ARCHIVED"}


def test_failed_call_is_skipped(start_function: StartFunction, aws: Aws) -> None:
    event = _event("role_change_failed_call.json")
    role_arn = aws.create_role(_role_name(event), UNGUARDED_TRUST)

    result = start_function("RoleChangeFunction").invoke_ok(event)

    assert result["skipped"] == "failed call: AccessDenied"
    assert aws.findings_for(role_arn) == []


@pytest.mark.parametrize(
    ("function", "event"),
    [
        pytest.param("RoleChangeFunction", {"detail-type": "nonsense"}, id="role-change"),
        pytest.param(
            "AssumeRoleFunction", _event("role_change_create_role.json"), id="assume-role"
        ),
        pytest.param("ScanFunction", {"roles": "not-a-list"}, id="scan"),
    ],
)
def test_malformed_event_returns_an_error(
    start_function: StartFunction, aws: Aws, function: str, event: dict[str, Any]
) -> None:
    invocation = start_function(function).invoke(event)

    assert invocation.function_error
    assert invocation.payload["errorType"] == "InvalidEventError"
    assert invocation.payload["errorMessage"]


def test_cross_account_assumption_without_guard_is_reported(
    start_function: StartFunction, aws: Aws
) -> None:
    event = _event("assume_role_cross_account.json")
    role_arn = aws.create_role("EC2-dev", UNGUARDED_TRUST)

    result = start_function("AssumeRoleFunction").invoke_ok(event)

    assert "OBSERVED_UNGUARDED_ASSUMPTION" in {finding["rule"] for finding in result["findings"]}
    assert "trust-auditor/OBSERVED_UNGUARDED_ASSUMPTION" in _active_rules(aws, role_arn)


def test_assumption_with_external_id_on_guarded_role_is_clean(
    start_function: StartFunction, aws: Aws
) -> None:
    event = _event("assume_role_cross_account_with_external_id.json")
    role_name = event["detail"]["requestParameters"]["roleArn"].split("/")[-1]
    role_arn = aws.create_role(role_name, EXTERNAL_ID_TRUST)

    result = start_function("AssumeRoleFunction").invoke_ok(event)

    assert result["findings"] == []
    assert _active_rules(aws, role_arn) == set()


def test_scan_audits_every_role(start_function: StartFunction, aws: Aws) -> None:
    unguarded = aws.create_role("vendor-integration", UNGUARDED_TRUST)
    guarded = aws.create_role("partner-with-external-id", EXTERNAL_ID_TRUST)

    result = start_function("ScanFunction").invoke_ok(_event("scan.json"))

    assert result["dry_run"] is False
    assert result["roles_audited"] == 2
    assert result["findings_imported"] == result["findings"] >= 1
    assert _active_rules(aws, unguarded)
    assert _active_rules(aws, guarded) == set()


def test_scan_dry_run_writes_nothing(start_function: StartFunction, aws: Aws) -> None:
    unguarded = aws.create_role("vendor-integration", UNGUARDED_TRUST)

    result = start_function("ScanFunction").invoke_ok(_event("scan_dry_run.json"))

    assert result["dry_run"] is True
    assert result["findings_imported"] == 0
    assert [role["role_arn"] for role in result["roles"]] == [unguarded]
    assert aws.findings_for(unguarded) == []


WARM_EVENTS = [
    pytest.param("RoleChangeFunction", "role_change_create_role.json", id="role-change"),
    pytest.param(
        "AssumeRoleFunction", "assume_role_cross_account_with_external_id.json", id="assume-role"
    ),
    pytest.param("ScanFunction", "scan.json", id="scan"),
]


@pytest.mark.parametrize(("function", "event_file"), WARM_EVENTS)
def test_repeated_event_changes_nothing(
    start_function: StartFunction, aws: Aws, function: str, event_file: str
) -> None:
    """Events may be delivered twice: a warm container re-running one is a no-op (and its
    invokes feed the warm timing figures)."""
    aws.create_role("stratus-red-team-malicious-iam-role", UNGUARDED_TRUST)
    aws.create_role(
        "cloud-snitch-dev-CloudSnitchIntegrationRole03668212-LXdv1ZrGg24c", EXTERNAL_ID_TRUST
    )
    local = start_function(function)
    event = _event(event_file)
    first = local.invoke_ok(event)
    stored = _stored_state(aws)

    repeats = [local.invoke_ok(event) for _ in range(5)]

    assert [repeat["findings"] for repeat in repeats] == [first["findings"]] * 5
    assert _stored_state(aws) == stored


def _stored_state(aws: Aws) -> list[tuple[str, str]]:
    findings = aws.securityhub.get_findings()["Findings"]
    return sorted((finding["Id"], finding["RecordState"]) for finding in findings)


def test_built_layer_is_precompiled(built: Path) -> None:
    """Lambda's /opt is read-only: a module without a valid .pyc is compiled on every cold
    start. Each module of the layer has an unchecked-hash .pyc (valid whatever the mtimes)."""
    layer = built / "TrustAuditorLayer" / "python"
    sources = [p for p in layer.rglob("*.py") if "__pycache__" not in p.parts]
    assert any(p.parent.name == "trust_auditor" for p in sources)
    tag = sys.implementation.cache_tag
    missing, checked = [], []
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        if not compiled.is_file():
            missing.append(source)
            continue
        flags = int.from_bytes(compiled.read_bytes()[4:8], "little")
        if flags != 0b01:  # hash-based, source not checked (PEP 552)
            checked.append(compiled)
    assert not missing, missing[:5]
    assert not checked, checked[:5]

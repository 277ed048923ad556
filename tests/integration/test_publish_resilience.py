"""Security Hub misbehaving under the handlers: throttling and partial BatchImportFindings
failures are retried without losing a finding; when retries run out the handler raises."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.helpers.api_calls import DropFindings, Throttle
from tests.helpers.cloudtrail import role_change_event
from tests.integration.conftest import ACCOUNT, Handler
from trust_auditor.aws import PublishError

PARTNERS = [f"4444555566{n:02d}" for n in range(30)]


def _open_trust(iam: Any, name: str) -> None:
    statements = [
        {"Effect": "Allow", "Principal": {"AWS": account}, "Action": "sts:AssumeRole"}
        for account in PARTNERS
    ]
    iam.create_role(
        RoleName=name,
        AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
    )


def _active_ids(securityhub: Any) -> set[str]:
    return {
        f["Id"]
        for page in securityhub.get_paginator("get_findings").paginate(
            Filters={"RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}]}
        )
        for f in page["Findings"]
    }


def test_throttled_imports_are_retried(
    cold_start: Callable[[str], Handler], iam: Any, securityhub: Any
):
    _open_trust(iam, "wide")
    handler = cold_start("role_change")
    throttle = Throttle(times=2, code="TooManyRequestsException")
    handler.clients.securityhub.meta.events.register(
        "before-call.securityhub.BatchImportFindings", throttle
    )
    result = handler.invoke(role_change_event("CreateRole", "wide", ACCOUNT))
    assert throttle.calls == 3
    assert result["findings_imported"] == len(PARTNERS)
    assert len(_active_ids(securityhub)) == len(PARTNERS)


def test_partial_failures_are_retried_and_nothing_is_lost(
    cold_start: Callable[[str], Handler], iam: Any, securityhub: Any
):
    # Seven roles' worth of findings: more than one batch of 100.
    for n in range(4):
        _open_trust(iam, f"wide-{n}")
    scan = cold_start("scan")
    flaky = DropFindings(select=lambda fid: hash(fid) % 3 == 0, times=2)
    flaky.install(scan.clients.securityhub)
    result = scan.invoke({})
    assert flaky.dropped
    assert result["findings_imported"] == 4 * len(PARTNERS)
    assert len(_active_ids(securityhub)) == 4 * len(PARTNERS)


def test_exhausted_retries_raise_and_count_the_failures(
    cold_start: Callable[[str], Handler], iam: Any, capsys: pytest.CaptureFixture[str]
):
    _open_trust(iam, "wide")
    handler = cold_start("role_change")
    doomed = DropFindings(select=lambda fid: True, times=99)
    doomed.install(handler.clients.securityhub)
    with pytest.raises(PublishError) as raised:
        handler.invoke(role_change_event("CreateRole", "wide", ACCOUNT))
    assert len(raised.value.failed_ids) == len(PARTNERS)
    assert len(doomed.dropped) == 4 * len(PARTNERS)  # PUBLISH_MAX_ATTEMPTS=4
    emitted = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line
    ]
    assert [m["FindingsFailed"] for m in emitted if "FindingsFailed" in m] == [[len(PARTNERS)]]

"""Security Hub misbehaving under the handlers: throttling and transient partial
BatchImportFindings failures are retried without losing a finding; when retries run out, or a
finding is rejected for what it is (not retried), the handler raises."""

from __future__ import annotations

import json
import zlib
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


def _fail_findings_with(client: Any, code: str) -> None:
    """Report the findings DropFindings spoils (moto: InvalidInput) with this ErrorCode."""

    def rewrite(parsed: dict[str, Any], **_: Any) -> None:
        for failed in parsed.get("FailedFindings", []):
            failed["ErrorCode"] = code

    client.meta.events.register("after-call.securityhub.BatchImportFindings", rewrite)


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
    flaky = DropFindings(select=lambda fid: zlib.crc32(fid.encode()) % 3 == 0, times=2)
    flaky.install(scan.clients.securityhub)
    _fail_findings_with(scan.clients.securityhub, "InternalFailure")
    result = scan.invoke({})
    assert flaky.dropped
    assert result["findings_imported"] == 4 * len(PARTNERS)
    assert len(_active_ids(securityhub)) == 4 * len(PARTNERS)


@pytest.mark.parametrize(
    ("code", "sends"),
    [
        # A transient code is retried until PUBLISH_MAX_ATTEMPTS (4 here) run out.
        pytest.param("InternalFailure", 4, id="transient-retried"),
        pytest.param("InvalidInput", 1, id="rejected-not-retried"),
    ],
)
def test_unwritten_findings_raise_and_are_counted(
    cold_start: Callable[[str], Handler],
    iam: Any,
    capsys: pytest.CaptureFixture[str],
    code: str,
    sends: int,
):
    _open_trust(iam, "wide")
    handler = cold_start("role_change")
    doomed = DropFindings(select=lambda fid: True, times=99)
    doomed.install(handler.clients.securityhub)
    _fail_findings_with(handler.clients.securityhub, code)
    with pytest.raises(PublishError, match=code) as raised:
        handler.invoke(role_change_event("CreateRole", "wide", ACCOUNT))
    assert len(raised.value.failed_ids) == len(PARTNERS)
    assert len(doomed.dropped) == sends * len(PARTNERS)
    emitted = [
        json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line
    ]
    assert [m["FindingsFailed"] for m in emitted if "FindingsFailed" in m] == [[len(PARTNERS)]]

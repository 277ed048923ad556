"""Security Hub retries have one owner, SecurityHubPublisher: bounded attempts and time,
retries only for what another attempt can fix. A fake clock stands in for time."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, ReadTimeoutError

from trust_auditor.asff import WorkflowChange
from trust_auditor.aws.clients import AwsClients
from trust_auditor.aws.securityhub import PublishError, SecurityHubPublisher

PRODUCT = "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"


class _Clock:
    """time.monotonic and time.sleep on a fake timeline."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _throttled() -> ClientError:
    error: Any = {"Error": {"Code": "TooManyRequestsException", "Message": "Rate exceeded"}}
    return ClientError(error, "BatchImportFindings")


class _SecurityHub:
    """Answers each call with the next of `answers` (then success): an exception to raise, or
    the FailedFindings / UnprocessedFindings ErrorCode of some finding ids. Each call takes
    `call_seconds` of the fake clock."""

    def __init__(
        self,
        clock: _Clock,
        answers: list[Exception | Mapping[str, str]],
        *,
        call_seconds: float = 0.0,
        repeat_last: bool = False,
    ) -> None:
        self.clock = clock
        self.answers = answers
        self.call_seconds = call_seconds
        self.repeat_last = repeat_last
        self.calls: list[list[str]] = []

    def _answer(self, ids: list[str]) -> Mapping[str, str]:
        self.calls.append(ids)
        self.clock.now += self.call_seconds
        if not self.answers:
            return {}
        answer = self.answers[-1] if self.repeat_last else self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return {fid: code for fid, code in answer.items() if fid in ids}

    def batch_import_findings(self, Findings: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        failed = self._answer([finding["Id"] for finding in Findings])
        return {
            "FailedFindings": [
                {"Id": fid, "ErrorCode": code, "ErrorMessage": "rejected"}
                for fid, code in failed.items()
            ]
        }

    def batch_update_findings(
        self,
        FindingIdentifiers: list[dict[str, str]],  # noqa: N803
        **_: Any,
    ) -> dict[str, Any]:
        failed = self._answer([identifier["Id"] for identifier in FindingIdentifiers])
        return {
            "UnprocessedFindings": [
                {"FindingIdentifier": {"Id": fid, "ProductArn": PRODUCT}, "ErrorCode": code}
                for fid, code in failed.items()
            ]
        }

    def get_findings(self, **_: Any) -> dict[str, Any]:
        self._answer([])
        return {"Findings": [{"Id": "a"}]}


def _publisher(client: _SecurityHub, **options: Any) -> SecurityHubPublisher:
    clock = client.clock
    return SecurityHubPublisher(
        client,  # type: ignore[arg-type]
        **{"jitter": lambda: 1.0, "sleep": clock.sleep, "clock": clock, **options},
    )


def _findings(*ids: str) -> list[dict[str, str]]:
    return [{"Id": fid} for fid in ids]


@pytest.mark.parametrize(
    ("call_seconds", "calls", "sleeps"),
    [
        # Backoffs 0.5, 1, 2, 4, 8 s; the next (16 s) would end past the 30 s budget.
        pytest.param(0.0, 6, [0.5, 1.0, 2.0, 4.0, 8.0], id="fast-calls"),
        # The budget runs from the first retry and counts the calls too: after the third
        # 10 s call (t=43.5 s), a 4 s backoff would end past 10 + 30 s.
        pytest.param(10.0, 4, [0.5, 1.0, 2.0], id="slow-calls"),
    ],
)
def test_throttling_beyond_the_time_budget_raises(
    call_seconds: float, calls: int, sleeps: list[float]
) -> None:
    clock = _Clock()
    client = _SecurityHub(clock, [_throttled()], call_seconds=call_seconds, repeat_last=True)
    publisher = _publisher(client, max_attempts=20, deadline_seconds=30.0)

    with pytest.raises(PublishError) as raised:
        publisher.import_findings(_findings("a"))

    assert raised.value.failures == {"a": "TooManyRequestsException"}
    assert (len(client.calls), clock.sleeps) == (calls, sleeps)
    assert clock.now <= call_seconds + 30.0 + call_seconds  # first call, budget, last call


def test_throttling_stops_after_the_last_attempt() -> None:
    clock = _Clock()
    client = _SecurityHub(clock, [_throttled()], repeat_last=True)
    with pytest.raises(PublishError, match="TooManyRequestsException"):
        _publisher(client, max_attempts=3).import_findings(_findings("a"))
    assert (len(client.calls), clock.sleeps) == (3, [0.5, 1.0])


@pytest.mark.parametrize(
    "code", ["InvalidInput", "AccessDenied", "FindingSizeExceeded", "DuplicatedFindingIdentifier"]
)
def test_findings_rejected_for_what_they_are_are_not_retried(code: str) -> None:
    clock = _Clock()
    client = _SecurityHub(clock, [{"b": code}], repeat_last=True)

    with pytest.raises(PublishError) as raised:
        _publisher(client).import_findings(_findings("a", "b"))

    assert raised.value.failures == {"b": f"{code}: rejected"}
    assert (client.calls, clock.sleeps) == ([["a", "b"]], [])


@pytest.mark.parametrize(
    "code",
    ["InternalFailure", "ConcurrentUpdateError", "ThrottlingException", "LimitExceededException"],
)
def test_findings_failed_for_a_transient_reason_are_retried(code: str) -> None:
    clock = _Clock()
    client = _SecurityHub(clock, [{"b": code}, {"b": code}])

    assert _publisher(client).import_findings(_findings("a", "b")) == 2

    assert (client.calls, clock.sleeps) == ([["a", "b"], ["b"], ["b"]], [0.5, 1.0])


def test_unknown_finding_codes_are_retried_twice_at_most() -> None:
    clock = _Clock()
    client = _SecurityHub(clock, [{"a": "SomethingNew"}], repeat_last=True)

    with pytest.raises(PublishError, match="SomethingNew"):
        _publisher(client, max_attempts=6).import_findings(_findings("a"))

    assert client.calls == [["a"], ["a"], ["a"]]


def test_workflow_update_retries_a_finding_not_found_yet() -> None:
    """FindingNotFound right after the import may be the new finding not visible yet."""
    clock = _Clock()
    client = _SecurityHub(clock, [{"a": "FindingNotFound"}])
    change = WorkflowChange("a", PRODUCT, "SUPPRESSED", "exempt")

    assert _publisher(client).update_workflow([change]) == 1

    assert client.calls == [["a"], ["a"]]


@pytest.mark.parametrize(
    ("error", "calls"),
    [
        pytest.param(ReadTimeoutError(endpoint_url="https://securityhub"), 2, id="network"),
        pytest.param(_throttled(), 2, id="throttled"),
        pytest.param(
            ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "no"}},  # type: ignore[typeddict-item]
                "GetFindings",
            ),
            1,
            id="access-denied-raises",
        ),
    ],
)
def test_reads_retry_only_transient_errors(error: Exception, calls: int) -> None:
    clock = _Clock()
    client = _SecurityHub(clock, [error])
    publisher = _publisher(client)

    try:
        found = publisher.find(product_arn=PRODUCT, account_id="111122223333")
    except ClientError as raised:
        assert raised is error
    else:
        assert found == [{"Id": "a"}]
    assert len(client.calls) == calls


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Any:
        yield self.body


def test_the_security_hub_client_itself_does_not_retry() -> None:
    """botocore would retry a 429 several times; the publisher's retries would multiply."""
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    clients = AwsClients.create("us-east-1", session)
    sends: list[str] = []

    def throttle(request: Any, **_: Any) -> AWSResponse:
        sends.append(request.url)
        body = b'{"__type": "TooManyRequestsException", "message": "Rate exceeded"}'
        return AWSResponse(request.url, 429, {}, _Raw(body))

    clients.securityhub.meta.events.register("before-send", throttle)
    with pytest.raises(ClientError, match="TooManyRequestsException"):
        clients.securityhub.get_findings()
    assert len(sends) == 1
    assert clients.iam.meta.config.retries["mode"] == "adaptive"  # IAM reads keep theirs

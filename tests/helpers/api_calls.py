"""Botocore event hooks for tests: record the IAM actions a client calls, inject faults."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from botocore.exceptions import ClientError


def record_api_calls(clients: Iterable[Any]) -> list[str]:
    """A list that fills with "<service>:<Operation>" for every call the clients make."""
    calls: list[str] = []

    def record(model: Any, **_: Any) -> None:
        calls.append(f"{model.service_model.signing_name}:{model.name}")

    # Parameters are built for every call; 'before-call' is not reached by a call that another
    # handler (such as a moto workaround) answers first.
    for client in clients:
        client.meta.events.register("before-parameter-build", record)
    return calls


class Throttle:
    """Fails the first `times` calls of an operation with a throttling error."""

    def __init__(self, times: int, code: str = "ThrottlingException") -> None:
        self.remaining = times
        self.code = code
        self.calls = 0

    def __call__(self, model: Any, **_: Any) -> None:
        self.calls += 1
        if self.remaining > 0:
            self.remaining -= 1
            error = {"Error": {"Code": self.code, "Message": "Rate exceeded"}}
            raise ClientError(error, model.name)  # type: ignore[arg-type]


class DropFindings:
    """BatchImportFindings partial failure: the first `times` times a finding whose Id is
    chosen by `select` is sent, it goes out without Resources, which the service rejects and
    reports in FailedFindings (a partial failure, not an exception)."""

    def __init__(self, select: Callable[[str], bool], times: int) -> None:
        self.select = select
        self.times = times
        self.remaining: dict[str, int] = {}
        self.dropped: list[str] = []

    def install(self, client: Any) -> None:
        client.meta.events.register(
            "before-parameter-build.securityhub.BatchImportFindings", self._spoil
        )

    def _spoil(self, params: dict[str, Any], **_: Any) -> None:
        findings = []
        for finding in params["Findings"]:
            fid = finding["Id"]
            left = self.remaining.setdefault(fid, self.times) if self.select(fid) else 0
            if left > 0:
                self.remaining[fid] = left - 1
                self.dropped.append(fid)
                findings.append({**finding, "Resources": []})
            else:
                findings.append(finding)
        params["Findings"] = findings

"""In-process moto for the scan and findings commands, with the Security Hub workarounds of
tests/helpers installed on the clients the commands create (GetFindings filters,
BatchUpdateFindings)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.helpers.moto_securityhub import install_securityhub_workarounds
from trust_auditor.aws.clients import AwsClients
from trust_auditor.cli.aws_access import aws_clients

REGION = "us-east-1"


def _securityhub_workarounds(clients: AwsClients) -> None:
    install_securityhub_workarounds(clients.securityhub)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Fake credentials and no shared config: nothing reaches a real account."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def clients_hooks(monkeypatch: pytest.MonkeyPatch) -> list[Callable[[AwsClients], None]]:
    """Functions applied to the clients the commands create (the moto workarounds first)."""
    hooks: list[Callable[[AwsClients], None]] = [_securityhub_workarounds]

    def hooked(args: Any) -> AwsClients:
        clients = aws_clients(args)
        for hook in hooks:
            hook(clients)
        return clients

    monkeypatch.setattr("trust_auditor.cli.scan.aws_clients", hooked)
    monkeypatch.setattr("trust_auditor.cli.findings.aws_clients", hooked)
    return hooks


@pytest.fixture
def moto(aws_env: None, clients_hooks: list[Callable[[AwsClients], None]]) -> Iterator[None]:
    with mock_aws():
        yield


def security_hub_not_enabled(clients: AwsClients) -> None:
    """A client hook: GetFindings answers as in an account where Security Hub is off."""

    def refuse(**_: Any) -> None:
        raise ClientError(
            {"Error": {"Code": "InvalidAccessException", "Message": "not subscribed"}},
            "GetFindings",
        )

    clients.securityhub.meta.events.register("before-call.securityhub.GetFindings", refuse)

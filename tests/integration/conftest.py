"""Integration tier: the handlers run in-process against a moto server on 127.0.0.1, reached
through AWS_ENDPOINT_URL exactly as the deployed functions reach AWS."""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
import requests
from moto.server import ThreadedMotoServer

from tests.helpers.api_calls import record_api_calls
from tests.helpers.moto_securityhub import install_securityhub_workarounds

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "111122223333"  # the account of the repo's events/*.json
REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    for name, value in {
        "AWS_ENDPOINT_URL": moto_endpoint,
        "MOTO_ACCOUNT_ID": ACCOUNT,
        "AWS_REGION": REGION,
        "HOME_REGION": REGION,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_SERVICE_NAME": "trust-auditor",
        "PUBLISH_MAX_ATTEMPTS": "4",
        "PUBLISH_RETRY_BASE_SECONDS": "0.001",
    }.items():
        monkeypatch.setenv(name, value)
    return moto_endpoint


@pytest.fixture
def iam(aws: str) -> Any:
    return boto3.client("iam")


@pytest.fixture
def securityhub(aws: str) -> Any:
    client = boto3.client("securityhub", region_name=REGION)
    install_securityhub_workarounds(client)
    return client


@dataclass(frozen=True)
class _LambdaContext:
    function_name: str = "trust-auditor-test"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:trust-auditor-test"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"


@dataclass
class Handler:
    """A freshly imported handler module (a cold start) and the AWS calls it makes."""

    module: ModuleType
    calls: list[str]

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        try:
            result: dict[str, Any] = self.module.lambda_handler(event, _LambdaContext())
            return result
        finally:
            not_granted = set(self.calls) - self.module.REQUIRED_ACTIONS
            assert not not_granted, f"calls outside REQUIRED_ACTIONS: {sorted(not_granted)}"

    @property
    def clients(self) -> Any:
        return self.module.CLIENTS


@pytest.fixture
def cold_start(aws: str) -> Callable[[str], Handler]:
    def load(function: str) -> Handler:
        path = REPO / "functions" / function / "app.py"
        spec = importlib.util.spec_from_file_location(f"{function}_app_{uuid.uuid4().hex}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        clients = module.CLIENTS
        install_securityhub_workarounds(clients.securityhub)
        calls = record_api_calls(
            [clients.iam, clients.securityhub, clients.sts, clients.organizations]
        )
        return Handler(module, calls)

    return load

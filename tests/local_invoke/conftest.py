"""`sam local invoke` without Docker: each BUILT function (.aws-sam/build/<Function>) runs under
the Lambda Runtime Interface Emulator shipped in the aws-sam-cli wheel, with awslambdaric from
its own folder (.tools/ric) and the BUILT layer as the only other import path, so a module the
layer lacks fails here as it would in Lambda. AWS is a moto server on 127.0.0.1.

Needs `make build` and `make .tools/ric/.installed` (`make test-local-invoke` does both).
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from tests.contract.template_support import FUNCTION_DIRS, parameter_defaults, resolve, translated

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / ".aws-sam" / "build"
RIC = REPO / ".tools" / "ric"
ACCOUNT = "111122223333"  # the account of events/*.json
REGION = "us-east-1"
TIMINGS_FILE = REPO / ".aws-sam" / "local-invoke-timings.json"
_STARTUP_SECONDS = 30
_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


def _emulator() -> Path:
    wheels = sorted((REPO / ".tools" / "sam" / "lib").glob("python3*/site-packages"))
    for site_packages in wheels:
        binary = site_packages / "samcli" / "local" / "rapid" / "aws-lambda-rie-x86_64"
        if binary.exists():
            return binary
    raise AssertionError("the aws-sam-cli wheel's RIE is missing: run `make .tools/sam/.installed`")


def _python313() -> str:
    """The runtime's interpreter itself (not a venv: its site-packages would leak in)."""
    base = str(getattr(sys, "_base_executable", sys.executable))
    candidate = os.environ.get("PYTHON313") or base
    version = subprocess.run(
        [candidate, "-c", "import sys; print(sys.version_info[:2] == (3, 13))"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert version.stdout.strip() == "True", f"{candidate} is not python3.13: set PYTHON313"
    return candidate


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + _STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on 127.0.0.1:{port}:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A moto server in its own process, so its account is the events' account."""
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            env={**os.environ, "MOTO_ACCOUNT_ID": ACCOUNT},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_for_port(port, process, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        _stop(process)


@dataclass
class Aws:
    """The test's own view of the moto server (clients as an operator would use them)."""

    endpoint: str
    iam: Any = field(init=False)
    securityhub: Any = field(init=False)

    def __post_init__(self) -> None:
        session = boto3.Session(
            aws_access_key_id=_FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=_FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=_FAKE_CREDENTIALS["AWS_SESSION_TOKEN"],
            region_name=REGION,
        )
        self.iam = session.client("iam", endpoint_url=self.endpoint)
        self.securityhub = session.client("securityhub", endpoint_url=self.endpoint)

    def create_role(self, name: str, trust_policy: dict[str, Any]) -> str:
        response = self.iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=json.dumps(trust_policy)
        )
        arn: str = response["Role"]["Arn"]
        return arn

    def findings_for(self, role_arn: str) -> list[dict[str, Any]]:
        """moto's GetFindings ignores filters: select the role's findings here."""
        findings: list[dict[str, Any]] = []
        for page in self.securityhub.get_paginator("get_findings").paginate():
            findings.extend(
                finding
                for finding in page["Findings"]
                if any(resource["Id"] == role_arn for resource in finding["Resources"])
            )
        return findings


@pytest.fixture
def aws(moto_endpoint: str) -> Aws:
    """A fresh moto account with Security Hub enabled in the home region."""
    requests.post(f"{moto_endpoint}/moto-api/reset", timeout=10).raise_for_status()
    view = Aws(moto_endpoint)
    view.securityhub.enable_security_hub()
    return view


@dataclass
class Invocation:
    payload: dict[str, Any]
    function_error: bool
    seconds: float


@dataclass
class LocalFunction:
    """One built function under the RIE: a cold start on the first invoke, warm after."""

    name: str
    url: str
    log: Path
    timings: list[float] = field(default_factory=list)

    def invoke(self, event: dict[str, Any]) -> Invocation:
        started = time.perf_counter()
        # Lambda hands each invoke a trace header; unsampled, so X-Ray has nothing to send.
        root = f"1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]}"
        trace = f"Root={root};Parent={uuid.uuid4().hex[:16]};Sampled=0"
        response = requests.post(
            self.url, json=event, headers={"X-Amzn-Trace-Id": trace}, timeout=900
        )
        elapsed = time.perf_counter() - started
        self.timings.append(elapsed)
        assert response.status_code == 200, response.text
        payload: dict[str, Any] = response.json()
        return Invocation(payload, "errorType" in payload, elapsed)

    def invoke_ok(self, event: dict[str, Any]) -> dict[str, Any]:
        invocation = self.invoke(event)
        assert not invocation.function_error, (
            f"{invocation.payload}\n--- function log ---\n{self.log.read_text()[-4000:]}"
        )
        return invocation.payload

    def rie_figures_ms(self) -> tuple[list[float], list[float]]:
        """The RIE's own measures: runtime init (INIT REPORT) and each invoke (INVOKE RTDONE)."""
        text = self.log.read_text(errors="replace")
        inits = [float(ms) for ms in re.findall(r"INIT REPORT\(durationMs: ([\d.]+)\)", text)]
        invokes = [float(ms) for ms in re.findall(r"INVOKE RTDONE\(.*duration: ([\d.]+)ms\)", text)]
        return inits, invokes


def function_environment(function: str, endpoint: str) -> dict[str, str]:
    """What Lambda gives the function: the template's variables (parameter defaults), the
    Lambda runtime variables, and nothing from this test process."""
    properties = translated()["Resources"][function]["Properties"]
    parameters = parameter_defaults()
    variables = {
        name: str(resolve(value, parameters))
        for name, value in properties["Environment"]["Variables"].items()
    }
    return {
        **variables,
        **_FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_LAMBDA_FUNCTION_NAME": f"trust-auditor-{function}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(properties.get("MemorySize", 128)),
        "AWS_LAMBDA_FUNCTION_TIMEOUT": str(properties.get("Timeout", 3)),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/trust-auditor-{function}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "local-invoke",
        "LAMBDA_TASK_ROOT": str(BUILD / function),
        # Lambda puts the layer (/opt/python) before the runtime's own packages.
        "PYTHONPATH": os.pathsep.join([str(BUILD / "TrustAuditorLayer" / "python"), str(RIC)]),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "TZ": ":UTC",
        # /opt and /var/task are read-only in Lambda: nothing may be compiled and kept between
        # cold starts here either (the layer ships its .pyc files).
        "PYTHONDONTWRITEBYTECODE": "1",
    }


@pytest.fixture(scope="session")
def built() -> Path:
    template = BUILD / "template.yaml"
    assert template.is_file(), f"{template} is missing: run `make build` first"
    assert (RIC / "awslambdaric").is_dir(), f"{RIC} is missing: run `make {RIC}/.installed`"
    for function in FUNCTION_DIRS:
        assert (BUILD / function / "app.py").is_file(), f"{function} is not built"
    return BUILD


_started: dict[str, LocalFunction] = {}


@pytest.fixture(scope="session")
def start_function(
    built: Path, moto_endpoint: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Any]:
    emulator, python = _emulator(), _python313()
    processes: list[subprocess.Popen[bytes]] = []

    def start(function: str) -> LocalFunction:
        if function in _started:
            return _started[function]
        port, api_port = _free_port(), _free_port()
        log = tmp_path_factory.mktemp(function) / "function.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [
                    str(emulator),
                    "--runtime-interface-emulator-address",
                    f"127.0.0.1:{port}",
                    "--runtime-api-address",
                    f"127.0.0.1:{api_port}",
                    # -S: no site-packages of the interpreter, only PYTHONPATH (see module doc).
                    python,
                    "-S",
                    "-m",
                    "awslambdaric",
                    "app.lambda_handler",
                ],
                cwd=built / function,
                env=function_environment(function, moto_endpoint),
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        processes.append(process)
        _wait_for_port(port, process, log)
        url = f"http://127.0.0.1:{port}/2015-03-31/functions/function/invocations"
        _started[function] = LocalFunction(function, url, log)
        return _started[function]

    yield start
    for process in processes:
        _stop(process)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Cold start and warm invoke times of each function (figures, never asserted)."""
    if not _started:
        return
    report: dict[str, dict[str, Any]] = {}
    for name, function in sorted(_started.items()):
        if not function.timings:
            continue
        inits, invokes = function.rie_figures_ms()
        warm = sorted(invokes[1:])
        report[name] = {
            "cold_start_wall_ms": round(function.timings[0] * 1000, 1),
            "init_ms": inits,
            "first_invoke_ms": invokes[0] if invokes else None,
            "warm_invokes": len(warm),
            "warm_median_ms": warm[len(warm) // 2] if warm else None,
        }
    terminalreporter.section("local invoke timings (RIE, moto on 127.0.0.1)")
    for name, figures in report.items():
        terminalreporter.write_line(f"{name}: {json.dumps(figures)}")
    TIMINGS_FILE.write_text(json.dumps(report, indent=2) + "\n")
    terminalreporter.write_line(f"written to {TIMINGS_FILE.relative_to(REPO)}")

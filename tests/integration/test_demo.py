"""`make demo` end to end: `python -m demo` runs as a subprocess, as the Makefile runs it, in a
shell whose AWS settings point elsewhere (the demo must ignore them), and its output is read."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
ACCOUNT = "111122223333"
PARTNER = "arn:aws:iam::444455556666:root"
# A shell set up for a real account: none of it may reach the demo's AWS calls.
HOSTILE_SHELL = {
    "AWS_PROFILE": "production",
    "AWS_ENDPOINT_URL_IAM": "http://127.0.0.1:9",
    "AWS_ENDPOINT_URL_SECURITYHUB": "http://127.0.0.1:9",
    "AWS_ACCESS_KEY_ID": "AKIAREALLOOKINGKEY00",
    "AWS_REGION": "eu-west-3",
}


@dataclass(frozen=True)
class DemoRun:
    returncode: int
    stdout: str
    stderr: str
    pid: int

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()

    def section(self, first: str, end: str) -> list[str]:
        """The lines after the one starting with `first`, up to the one equal to `end`."""
        start = next(i for i, line in enumerate(self.lines) if line.startswith(first))
        stop = self.lines.index(end, start + 1)
        return self.lines[start + 1 : stop]


@pytest.fixture(scope="module")
def demo() -> DemoRun:
    # Its own session (process group): what it leaves behind can be looked for afterwards.
    with subprocess.Popen(
        [sys.executable, "-m", "demo"],
        cwd=REPO,
        env={**os.environ, **HOSTILE_SHELL},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        try:
            stdout, stderr = process.communicate(timeout=300)  # a hang guard only
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            raise
    return DemoRun(process.returncode, stdout, stderr, process.pid)


def _review_rows(demo: DemoRun) -> set[tuple[str, str, str, str, str]]:
    """(severity, rule, role name, principal, workflow) of the Security Hub table."""
    header, *rows = demo.section("[5] Security Hub", "")
    assert header.split() == ["SEVERITY", "RULE", "ROLE", "PRINCIPAL", "WORKFLOW", "TITLE"]
    parsed = set()
    for row in rows:
        severity, rule, role_name, principal, workflow, title = row.split(None, 5)
        assert f" role {role_name}" in title
        parsed.add((severity, rule, role_name, principal, workflow))
    assert len(parsed) == len(rows)
    return parsed


EXPECTED_ACTIVE = {
    # The article's patterns, misconfigured.
    ("HIGH", "EXTERNAL_ID_MISSING", "SharedDataS3Access-NoExternalId", PARTNER, "NEW"),
    *(
        (
            "MEDIUM",
            "ORG_CONDITION_MISSING",
            "CentralLogWriter-NoOrgId",
            f"arn:aws:iam::{a}:root",
            "NEW",
        )
        for a in ("222233334444", "333344445555", "555566667777")
    ),
    (
        "MEDIUM",
        "ORG_CONDITION_MISSING",
        "cicd-deploy-unguarded",
        "arn:aws:iam::222233334444:role/cicd-pipeline-deployer",
        "NEW",
    ),
    (
        "MEDIUM",
        "ORG_CONDITION_MISSING",
        "SecurityAudit-MfaOnly",
        "arn:aws:iam::333344445555:root",
        "NEW",
    ),
    (
        "CRITICAL",
        "OIDC_SUBJECT_UNRESTRICTED",
        "github-deploy-any-repo",
        f"arn:aws:iam::{ACCOUNT}:oidc-provider/token.actions.githubusercontent.com",
        "NEW",
    ),
    # The public role, and the vendor role suppressed by its trust-auditor:exempt tag.
    ("CRITICAL", "PUBLIC_TRUST", "debug-open-access", "*", "NEW"),
    (
        "HIGH",
        "EXTERNAL_ID_MISSING",
        "VendorMonitoring",
        "arn:aws:iam::999900001111:root",
        "SUPPRESSED",
    ),
    # From the scan and the replayed events.
    ("HIGH", "EXTERNAL_ID_MISSING", "EC2-dev", PARTNER, "NEW"),
    ("HIGH", "OBSERVED_UNGUARDED_ASSUMPTION", "EC2-dev", "444455556666", "NEW"),
    ("HIGH", "EXTERNAL_ID_MISSING", "stratus-red-team-malicious-iam-role", PARTNER, "NEW"),
    ("HIGH", "EXTERNAL_ID_MISSING", "stratus-red-team-backdoor-r-role", PARTNER, "NEW"),
}


def test_demo_exits_0_quietly(demo: DemoRun) -> None:
    assert demo.returncode == 0, demo.stderr
    assert demo.stderr == ""
    # Powertools JSON logs and EMF metrics would start a line with "{".
    assert not [line for line in demo.lines if line.startswith("{")]


def test_security_hub_holds_exactly_the_misconfigured_variants(demo: DemoRun) -> None:
    assert _review_rows(demo) == EXPECTED_ACTIVE
    assert "13 active findings: CRITICAL 2, HIGH 6, MEDIUM 5, LOW 0 (1 suppressed)" in demo.lines


@pytest.mark.parametrize(
    "role",
    [
        pytest.param("SharedDataS3Access", id="partner-externalid"),
        pytest.param("CentralLogWriter", id="logging-orgid"),
        pytest.param("cicd-deploy", id="cicd-orgid"),
        pytest.param("SecurityAudit", id="audit-orgid-mfa"),
        pytest.param("github-deploy", id="github-pinned"),
        pytest.param(
            "cloud-snitch-dev-CloudSnitchIntegrationRole03668212-LXdv1ZrGg24c",
            id="integration-externalid",
        ),
        pytest.param("practicum_test_role1", id="deleted-role-archived"),
    ],
)
def test_guarded_or_gone_roles_have_no_active_finding(demo: DemoRun, role: str) -> None:
    assert role not in {name for _, _, name, _, _ in _review_rows(demo)}


@pytest.mark.parametrize(
    ("line", "result"),
    [
        pytest.param(
            "[2] ScanFunction (events/scan.json)",
            ": 16 roles audited, 11 findings; 11 imported, 0 archived, 1 suppressed",
            id="scan",
        ),
        pytest.param(
            "      events/role_change_create_role.json",
            ": EXTERNAL_ID_MISSING (HIGH); 1 imported, 0 archived",
            id="create-role",
        ),
        pytest.param(
            "      events/role_change_update_assume_role_policy.json",
            ": EXTERNAL_ID_MISSING (HIGH); 1 imported, 0 archived",
            id="update-assume-role-policy",
        ),
        pytest.param(
            "      events/role_change_delete_role.json",
            ": no finding; 0 imported, 1 archived",
            id="delete-role",
        ),
        pytest.param(
            "      events/role_change_failed_call.json",
            ": skipped (failed call: AccessDenied)",
            id="failed-call",
        ),
        pytest.param(
            "      events/assume_role_cross_account.json",
            ": OBSERVED_UNGUARDED_ASSUMPTION (HIGH); 1 imported, 0 archived",
            id="assume-role-without-external-id",
        ),
        pytest.param(
            "      events/assume_role_cross_account_with_external_id.json",
            ": no finding; 0 imported, 0 archived",
            id="assume-role-with-external-id",
        ),
    ],
)
def test_each_step_reports_what_its_handler_did(demo: DemoRun, line: str, result: str) -> None:
    assert line + result in demo.lines


def test_one_high_remediation_is_shown_in_full(demo: DemoRun) -> None:
    heading, detail, fix = demo.section(
        "One open HIGH finding as `trust-auditor findings --show-remediation` shows it:",
        "    Corrected trust policy:",
    )
    assert heading == f"HIGH EXTERNAL_ID_MISSING arn:aws:iam::{ACCOUNT}:role/EC2-dev"
    assert detail.startswith("    Statement[0] lets account 444455556666 ")
    # The advice alone: the command is shown once, under its own heading.
    assert fix.startswith("    Fix: Require an sts:ExternalId agreed with the third party")
    assert "update-assume-role-policy" not in fix
    policy = json.loads("\n".join(demo.section("    Corrected trust policy:", "    Command:")))
    assert policy["Statement"] == [
        {
            "Effect": "Allow",
            "Principal": {"AWS": PARTNER},
            "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"sts:ExternalId": "<EXTERNAL_ID>"}},
        }
    ]
    (command_line,) = demo.section("    Command:", "")
    command = shlex.split(command_line)
    assert command[:5] == ["aws", "iam", "update-assume-role-policy", "--role-name", "EC2-dev"]
    assert command[5] == "--policy-document" and json.loads(command[6]) == policy


def test_nothing_is_left_running(demo: DemoRun) -> None:
    endpoint = re.search(r"moto on http://127\.0\.0\.1:(\d+) ", demo.stdout)
    assert endpoint is not None
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(endpoint.group(1))), timeout=5).close()
    with pytest.raises(ProcessLookupError):  # no process of the demo's session survives it
        os.killpg(demo.pid, 0)

"""The demo: moto on 127.0.0.1 stands in for AWS; the real handlers of functions/ run against it.

Steps: seed the organization's roles, run ScanFunction on events/scan.json, replay the
CloudTrail events of events/ through RoleChangeFunction and AssumeRoleFunction (the IAM call a
role-change record describes is made first, as it was before CloudTrail logged it), then print
what a reviewer sees in Security Hub. The moto server is stopped whatever happens.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import boto3
from moto.server import ThreadedMotoServer

from demo.organization import (
    ORG_ACCOUNTS,
    ORG_ID,
    OUR_ACCOUNT,
    PARTNER_ACCOUNT,
    REGION,
    ROLES,
    VENDOR_ACCOUNT,
    seed_account,
)
from demo.review import security_hub_view

# moto's Security Hub gaps are worked around in one place, the tests' helper (never product code).
from tests.helpers.moto_securityhub import install_securityhub_workarounds
from trust_auditor.asff import FindingScope

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

REPO = Path(__file__).resolve().parents[1]
EVENTS = REPO / "events"
ROLE_CHANGE_EVENTS = (
    "role_change_create_role.json",
    "role_change_update_assume_role_policy.json",
    "role_change_delete_role.json",
    "role_change_failed_call.json",
)
ASSUME_ROLE_EVENTS = (
    "assume_role_cross_account.json",
    "assume_role_cross_account_with_external_id.json",
)


def isolate_environment() -> None:
    """Drop every AWS_* setting of the caller's shell (profiles, per-service endpoints, real
    credentials) and set the demo's: moto's account, fake credentials, the functions' settings."""
    for name in [name for name in os.environ if name.startswith("AWS_")]:
        del os.environ[name]
    os.environ.update(
        {
            # Fake credentials: nothing here may ever reach a real AWS account.
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_DEFAULT_REGION": REGION,
            "MOTO_ACCOUNT_ID": OUR_ACCOUNT,
            "HOME_REGION": REGION,
            # moto's Organizations cannot hold a chosen org id: the settings name the organization.
            "ORG_ID": ORG_ID,
            "ORG_ACCOUNT_IDS": ",".join(ORG_ACCOUNTS),
            "TRUSTED_ACCOUNT_IDS": "",
            # Powertools: only warnings, no metrics on stdout, no X-Ray.
            "POWERTOOLS_SERVICE_NAME": "trust-auditor-demo",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
            "POWERTOOLS_METRICS_DISABLED": "true",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
    )


@dataclass(frozen=True, slots=True)
class FakeLambdaContext:
    """The attributes of the Lambda context the Powertools decorators read."""

    function_name: str
    aws_request_id: str
    memory_limit_in_mb: int = 256

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{OUR_ACCOUNT}:function:{self.function_name}"


class Function:
    """A handler module of functions/, imported as Lambda does on a cold start."""

    def __init__(self, name: str, directory: str) -> None:
        path = REPO / "functions" / directory / "app.py"
        spec = importlib.util.spec_from_file_location(f"demo_{directory}_app", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        self.name = name
        self.module: ModuleType = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.module)
        install_securityhub_workarounds(self.module.CLIENTS.securityhub)

    def invoke(self, event: Mapping[str, Any]) -> dict[str, Any]:
        context = FakeLambdaContext(self.name, str(uuid.uuid4()))
        result: dict[str, Any] = self.module.lambda_handler(dict(event), context)
        return result


def load_event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


def apply_recorded_call(iam: IAMClient, record: Mapping[str, Any]) -> None:
    """Make IAM what the CloudTrail record says the call made it; a failed call changed nothing."""
    if record.get("errorCode"):
        return
    params = record["requestParameters"]
    match record["eventName"]:
        case "CreateRole":
            iam.create_role(
                RoleName=params["roleName"],
                Path=params.get("path", "/"),
                AssumeRolePolicyDocument=params["assumeRolePolicyDocument"],
            )
        case "UpdateAssumeRolePolicy":
            iam.update_assume_role_policy(
                RoleName=params["roleName"], PolicyDocument=params["policyDocument"]
            )
        case "DeleteRole":
            iam.delete_role(RoleName=params["roleName"])
        case other:
            raise ValueError(f"not a role change this demo replays: {other!r}")


def published(result: Mapping[str, Any]) -> str:
    """What a handler wrote to Security Hub."""
    counts = f"{result['findings_imported']} imported, {result['findings_archived']} archived"
    if result["findings_suppressed"]:
        counts += f", {result['findings_suppressed']} suppressed"
    return counts


def outcome(result: Mapping[str, Any]) -> str:
    """One line for an event handler's result."""
    if "skipped" in result:
        return f"skipped ({result['skipped']})"
    found = [f"{f['rule']} ({f['severity']})" for f in result["findings"]]
    return f"{', '.join(found) or 'no finding'}; {published(result)}"


def run_demo(endpoint: str) -> None:
    print(f"Embedded AWS: moto on {endpoint} (account {OUR_ACCOUNT}, {REGION})")
    print(
        f"Organization {ORG_ID}: accounts {', '.join(ORG_ACCOUNTS)};"
        f" partner {PARTNER_ACCOUNT}; vendor {VENDOR_ACCOUNT}"
    )
    iam = boto3.client("iam")
    securityhub = boto3.client("securityhub", region_name=REGION)
    install_securityhub_workarounds(securityhub)
    securityhub.enable_security_hub(EnableDefaultStandards=False)
    seed_account(iam)
    print(f"\n[1] Security Hub enabled; {len(ROLES)} roles and the GitHub OIDC provider created")

    result = Function("ScanFunction", "scan").invoke(load_event("scan.json"))
    print(
        f"\n[2] ScanFunction (events/scan.json): {result['roles_audited']} roles audited,"
        f" {result['findings']} findings; {published(result)}"
    )

    role_change = Function("RoleChangeFunction", "role_change")
    print("\n[3] RoleChangeFunction, CloudTrail events replayed:")
    for name in ROLE_CHANGE_EVENTS:
        event = load_event(name)
        record = event["detail"]
        apply_recorded_call(iam, record)
        result = role_change.invoke(event)
        print(f"    {record['eventName']} {record['requestParameters']['roleName']}")
        print(f"      events/{name}: {outcome(result)}")

    assume_role = Function("AssumeRoleFunction", "assume_role")
    print("\n[4] AssumeRoleFunction, CloudTrail events replayed:")
    for name in ASSUME_ROLE_EVENTS:
        event = load_event(name)
        record = event["detail"]
        external_id = "with" if "externalId" in record["requestParameters"] else "without"
        result = assume_role.invoke(event)
        print(
            f"    {record['userIdentity']['accountId']} assumed {result['role_name']}"
            f" {external_id} an externalId"
        )
        print(f"      events/{name}: {outcome(result)}")

    print(f"\n[5] Security Hub ({REGION}), active findings as `trust-auditor findings` lists them:")
    for line in security_hub_view(securityhub, FindingScope(OUR_ACCOUNT, "aws", REGION)):
        print(line)


def main() -> int:
    started = time.monotonic()
    isolate_environment()
    # The server's per-request access log would drown the report.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        print("trust-auditor demo: no AWS account, no Docker; nothing leaves this machine.")
        run_demo(endpoint)
    finally:
        server.stop()
    print(f"\nDone in {time.monotonic() - started:.1f} s; the moto server is stopped.")
    return 0

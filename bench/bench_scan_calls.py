"""AWS API calls a full scan makes per 1,000 roles, counted on moto (in-process, no network).

Run from the repository root: `python -m bench.bench_scan_calls [--roles N]` (or `make bench-scan`).
It sets fake credentials and us-east-1 itself, enables Security Hub, creates N roles (60% clean
own-account, partner-with-ExternalId, org-guarded, service and pinned GitHub OIDC roles; 40% with
one or two findings, 2% of all roles being exempted by tag) and wires the Auditor as the
ScanFunction does (`Settings.from_environ()`, `build_auditor(..., full_scan=True)`; ORG_ID and
ORG_ACCOUNT_IDS are set, so Organizations is not called). Each run is a cold start (a new
Auditor), as the scheduled scan is:
  1. the first full scan: every finding is new;
  2. the same scan again, nothing changed: the daily steady state, every open finding re-imported;
  3. a scan after 10% of the roles were fixed: their findings are archived.
Every call is recorded with the tests' API-call recorder; the figures are printed, never
asserted.

Exact, whatever the backend (they follow from the product's own batching):
  - securityhub:BatchImportFindings: ceil((imported + archived) / 100), one batch of at most 100;
  - securityhub:BatchUpdateFindings: ceil(n / 100) per (workflow status, note) group;
  - securityhub:GetFindings: ceil(stored findings / 100) pages of MaxResults=100, at least one
    (archived findings are read too); moto pages like Security Hub does;
  - sts:GetCallerIdentity: once per cold start.
Dependent on moto:
  - iam:GetAccountAuthorizationDetails: moto 5.2 never paginates (one call, whatever N). IAM
    returns at most MaxItems roles a page and may return fewer, so on AWS expect at least
    ceil(N / MaxItems) pages; the MaxItems the IamRoleInventory really sends is recorded and
    printed with that estimate.
  - Retries: moto never throttles. The hook counts API calls, not HTTP attempts, so the
    adaptive retries AWS throttling causes would add attempts that are not in these figures.
  - Wall time is moto's (and this machine's), not Lambda's against AWS.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto import mock_aws

from demo.organization import (
    DEVOPS_ACCOUNT,
    GITHUB_OIDC_HOST,
    GITHUB_OIDC_PROVIDER,
    ORG_ACCOUNTS,
    ORG_ID,
    OUR_ACCOUNT,
    PARTNER_ACCOUNT,
    PARTNER_EXTERNAL_ID,
    VENDOR_ACCOUNT,
)
from demo.run import isolate_environment
from tests.helpers.api_calls import record_api_calls
from tests.helpers.moto_securityhub import install_securityhub_workarounds, stored_findings
from trust_auditor.audit import ScanResult
from trust_auditor.aws import AwsClients, build_auditor
from trust_auditor.events import ScanRequest
from trust_auditor.roles import EXEMPT_TAG
from trust_auditor.settings import Settings

FIXED_SHARE = 0.10  # the share of all roles fixed before the third run


def _trust(*statements: Mapping[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(
    principal: Mapping[str, Any],
    condition: Mapping[str, Any] | None = None,
    action: str = "sts:AssumeRole",
) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition:
        statement["Condition"] = condition
    return statement


def _root(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


_EXTERNAL_ID = {"StringEquals": {"sts:ExternalId": PARTNER_EXTERNAL_ID}}
_ORG_GUARD = {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}
_GITHUB_PINNED = {
    "StringEquals": {
        f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
        f"{GITHUB_OIDC_HOST}:sub": "repo:acme-corp/payments-api:ref:refs/heads/main",
    }
}
_WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
PARTNER_GUARDED = _trust(_allow({"AWS": _root(PARTNER_ACCOUNT)}, _EXTERNAL_ID))
DEPLOYER = f"arn:aws:iam::{DEVOPS_ACCOUNT}:role/cicd-pipeline-deployer"
GITHUB_PINNED = _trust(_allow({"Federated": GITHUB_OIDC_PROVIDER}, _GITHUB_PINNED, _WEB_IDENTITY))
TWO_PARTNERS_GUARDED = _trust(
    _allow({"AWS": [_root(PARTNER_ACCOUNT), _root(VENDOR_ACCOUNT)]}, _EXTERNAL_ID)
)


@dataclass(frozen=True)
class RoleKind:
    """A trust policy pattern, its weight per 100 roles and, when it has findings, its fix."""

    name: str
    weight: int
    policy: dict[str, Any]
    fixed: dict[str, Any] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)


# Patterns of ../shared/corpus (pub-001, -002, -003, -007, -010, -014, -067, -079), built here so
# the benchmark does not read the corpus at run time.
ROLE_KINDS = (
    RoleKind("ec2-app", 14, _trust(_allow({"Service": "ec2.amazonaws.com"}))),
    RoleKind(
        "lambda-fn",
        12,
        _trust(
            _allow(
                {"Service": "lambda.amazonaws.com"},
                {"StringEquals": {"aws:SourceAccount": OUR_ACCOUNT}},
            )
        ),
    ),
    RoleKind("own-admin", 10, _trust(_allow({"AWS": _root(OUR_ACCOUNT)}))),
    RoleKind("partner-s3", 10, PARTNER_GUARDED),
    RoleKind(
        "org-logging",
        8,
        _trust(_allow({"AWS": [_root(a) for a in ORG_ACCOUNTS[1:4]]}, _ORG_GUARD)),
    ),
    RoleKind("github-deploy", 6, GITHUB_PINNED),
    # One finding each.
    RoleKind(
        "partner-unguarded", 12, _trust(_allow({"AWS": _root(PARTNER_ACCOUNT)})), PARTNER_GUARDED
    ),
    RoleKind(
        "partner-exempt",
        2,
        _trust(_allow({"AWS": _root(PARTNER_ACCOUNT)})),
        PARTNER_GUARDED,
        {EXEMPT_TAG: "vendor contract predates ExternalId"},
    ),
    RoleKind(
        "cicd-unguarded",
        10,
        _trust(_allow({"AWS": DEPLOYER})),
        _trust(_allow({"AWS": DEPLOYER}, _ORG_GUARD)),
    ),
    RoleKind(
        "github-any",
        6,
        _trust(_allow({"Federated": GITHUB_OIDC_PROVIDER}, action=_WEB_IDENTITY)),
        GITHUB_PINNED,
    ),
    RoleKind("public", 2, _trust(_allow({"AWS": "*"})), PARTNER_GUARDED),
    # Two findings each.
    RoleKind(
        "two-partners",
        5,
        _trust(_allow({"AWS": [_root(PARTNER_ACCOUNT), _root(VENDOR_ACCOUNT)]})),
        TWO_PARTNERS_GUARDED,
    ),
    RoleKind(
        "partner-and-github",
        3,
        _trust(
            _allow({"AWS": _root(PARTNER_ACCOUNT)}),
            _allow({"Federated": GITHUB_OIDC_PROVIDER}, action=_WEB_IDENTITY),
        ),
        _trust(
            _allow({"AWS": _root(PARTNER_ACCOUNT)}, _EXTERNAL_ID),
            _allow({"Federated": GITHUB_OIDC_PROVIDER}, _GITHUB_PINNED, _WEB_IDENTITY),
        ),
    ),
)


def role_plan(count: int) -> list[tuple[str, RoleKind]]:
    """`count` role names with their kinds, in the ROLE_KINDS proportions, shuffled."""
    cycle = [kind for kind in ROLE_KINDS for _ in range(kind.weight)]
    random.Random(count).shuffle(cycle)
    return [(f"{cycle[i % len(cycle)].name}-{i:05d}", cycle[i % len(cycle)]) for i in range(count)]


def create_roles(iam: Any, plan: Sequence[tuple[str, RoleKind]]) -> None:
    for name, kind in plan:
        tags = [{"Key": key, "Value": value} for key, value in kind.tags.items()]
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(kind.policy), Tags=tags)


def fix_roles(iam: Any, plan: Sequence[tuple[str, RoleKind]]) -> int:
    """Apply the fix of FIXED_SHARE of all roles (roles with findings, exempt ones left as
    they are); returns how many were fixed."""
    fixable = [(name, kind) for name, kind in plan if kind.fixed and not kind.tags]
    chosen = fixable[: math.ceil(len(plan) * FIXED_SHARE)]
    for name, kind in chosen:
        iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(kind.fixed))
    return len(chosen)


@dataclass(frozen=True)
class Run:
    title: str
    result: ScanResult
    calls: Counter[str]
    seconds: float
    max_items: tuple[int, ...]  # the MaxItems of each GetAccountAuthorizationDetails call


def scan(title: str, settings: Settings) -> Run:
    """One cold start of the ScanFunction and a full scan, with its calls recorded."""
    clients = AwsClients.create(settings.home_region)
    install_securityhub_workarounds(clients.securityhub)
    calls = record_api_calls([clients.iam, clients.securityhub, clients.sts, clients.organizations])
    max_items: list[int] = []

    def remember_max_items(params: Mapping[str, Any], **_: Any) -> None:
        max_items.append(int(params.get("MaxItems", 0)))

    clients.iam.meta.events.register(
        "before-parameter-build.iam.GetAccountAuthorizationDetails", remember_max_items
    )
    auditor = build_auditor(settings, clients, full_scan=True)
    start = time.perf_counter()
    result = auditor.scan(ScanRequest())
    seconds = time.perf_counter() - start
    return Run(title, result, Counter(calls), seconds, tuple(max_items))


def report(run: Run, roles: int) -> None:
    summary = run.result.summary
    per_thousand = 1000 / roles
    print(f"\n{run.title}")
    print(
        f"  {len(run.result.audits):,} roles audited, {summary.imported:,} findings imported,"
        f" {summary.archived:,} archived, {summary.suppressed:,} suppressed;"
        f" wall time {run.seconds:.2f} s (moto in-process)"
    )
    print(f"  {'operation':<40}{'calls':>8}{'per 1,000 roles':>18}")
    for operation, count in sorted(run.calls.items()):
        print(f"  {operation:<40}{count:>8,}{count * per_thousand:>18.1f}")
    total = sum(run.calls.values())
    print(f"  {'total':<40}{total:>8,}{total * per_thousand:>18.1f}")
    details_calls = run.calls["iam:GetAccountAuthorizationDetails"]
    if run.max_items:
        pages = math.ceil(roles / max(run.max_items))
        aws_total = total - details_calls + pages
        print(
            f"  on AWS: iam:GetAccountAuthorizationDetails >= {pages:,} page(s)"
            f" (MaxItems={max(run.max_items):,}; moto answered in {details_calls:,}),"
            f" total >= {aws_total:,} ({aws_total * per_thousand:.1f} per 1,000 roles)"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--roles", type=int, default=1000, help="roles to create (default 1,000)")
    args = parser.parse_args()
    if args.roles < 1:
        parser.error("--roles must be at least 1")
    isolate_environment()  # fake credentials, us-east-1, moto's account, the org settings
    settings = Settings.from_environ()  # as the ScanFunction reads them
    with mock_aws():
        iam = boto3.client("iam")
        boto3.client("securityhub", region_name=settings.home_region).enable_security_hub()
        plan = role_plan(args.roles)
        create_roles(iam, plan)
        first = scan("1. first full scan (every finding new)", settings)
        by_findings = Counter(len(audit.findings) for audit in first.result.audits)
        mix = ", ".join(
            f"{count:,} with {n} finding{'s' * (n != 1)}"
            for n, count in sorted(by_findings.items())
        )
        print(f"{args.roles:,} roles in account {OUR_ACCOUNT} ({settings.home_region}): {mix}")
        report(first, args.roles)
        report(
            scan("2. second full scan, nothing changed (daily steady state)", settings), args.roles
        )
        fixed = fix_roles(iam, plan)
        stored = len(stored_findings(OUR_ACCOUNT, settings.home_region))
        title = f"3. full scan after fixing {fixed:,} roles ({stored:,} findings stored before)"
        report(scan(title, settings), args.roles)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`trust-auditor findings`: this product's findings in Security Hub, filtered."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TextIO

from trust_auditor.asff import (
    FIELD_PRINCIPAL,
    FIELD_ROLE_ARN,
    FIELD_RULE,
    GENERATOR_PREFIX,
    FindingScope,
)
from trust_auditor.cli.aws_access import add_aws_options, aws_clients, aws_errors, home_region
from trust_auditor.cli.errors import CliError, exit_code
from trust_auditor.cli.options import Commands
from trust_auditor.cli.report import SEVERITY_ORDER, render_rows
from trust_auditor.model import ContextError, RoleArn, Rule, Severity

RECORD_STATES = ("ACTIVE", "ARCHIVED")
WORKFLOW_STATUSES = ("NEW", "NOTIFIED", "SUPPRESSED", "RESOLVED")


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """What the operator needs of one ASFF finding of this product."""

    id: str
    rule: str
    severity: str
    role_arn: str
    principal: str | None
    title: str
    record_state: str
    workflow_status: str
    updated_at: str
    remediation: str

    @classmethod
    def from_asff(cls, finding: Mapping[str, Any]) -> StoredFinding:
        fields = finding.get("ProductFields") or {}
        resources = finding.get("Resources") or [{}]
        generator = str(finding.get("GeneratorId", ""))
        return cls(
            id=str(finding.get("Id", "")),
            rule=fields.get(FIELD_RULE) or generator.removeprefix(GENERATOR_PREFIX),
            severity=str((finding.get("Severity") or {}).get("Label", "")),
            role_arn=fields.get(FIELD_ROLE_ARN) or str(resources[0].get("Id", "")),
            principal=fields.get(FIELD_PRINCIPAL),
            title=str(finding.get("Title", "")),
            record_state=str(finding.get("RecordState", "")),
            workflow_status=str((finding.get("Workflow") or {}).get("Status", "NEW")),
            updated_at=str(finding.get("UpdatedAt", "")),
            remediation=str(
                (finding.get("Remediation") or {}).get("Recommendation", {}).get("Text", "")
            ),
        )


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser(
        "findings",
        help="list this product's findings in Security Hub",
        description=(
            "List the findings trust-auditor imported into Security Hub for the calling "
            "account. Exit 0: none match, 1: some match, 2: usage or AWS error."
        ),
    )
    parser.add_argument(
        "--severity", choices=[s.value for s in Severity], action="append", default=[]
    )
    parser.add_argument("--rule", choices=[r.value for r in Rule], action="append", default=[])
    parser.add_argument("--role", metavar="NAME|ARN", help="only this role's findings")
    parser.add_argument("--record-state", choices=RECORD_STATES, default="ACTIVE")
    parser.add_argument("--workflow-status", choices=WORKFLOW_STATUSES, action="append", default=[])
    parser.add_argument("--format", choices=("table", "json"), default="table")
    add_aws_options(parser)
    parser.set_defaults(run=run)


def _role_name(role: str | None) -> str | None:
    if role is None or not role.startswith("arn:"):
        return role
    try:
        return RoleArn.parse(role).name
    except ContextError as error:
        raise CliError(f"--role: {error}") from error


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from trust_auditor.aws.securityhub import SecurityHubPublisher  # noqa: PLC0415
    from trust_auditor.aws.sts import StsIdentityReader  # noqa: PLC0415

    role_name = _role_name(args.role)
    clients = aws_clients(args)
    region = home_region(clients)
    with aws_errors(region):
        caller = StsIdentityReader(clients.sts).caller()
        scope = FindingScope(caller.account_id, caller.partition, region)
        stored = SecurityHubPublisher(clients.securityhub).find(
            product_arn=scope.product_arn,
            account_id=scope.account_id,
            role_name=role_name,
            active_only=args.record_state == "ACTIVE",
        )
    selected = select(
        [StoredFinding.from_asff(finding) for finding in stored],
        severities=args.severity,
        rules=args.rule,
        record_state=args.record_state,
        workflow_statuses=args.workflow_status,
    )
    print(render_json(selected) if args.format == "json" else render_table(selected), file=out)
    return exit_code(len(selected))


def select(
    findings: Sequence[StoredFinding],
    *,
    severities: Sequence[str],
    rules: Sequence[str],
    record_state: str,
    workflow_statuses: Sequence[str],
) -> list[StoredFinding]:
    """The findings matching every given filter (an empty list of values matches all)."""

    def matches(finding: StoredFinding) -> bool:
        return (
            (not severities or finding.severity in severities)
            and (not rules or finding.rule in rules)
            and finding.record_state == record_state
            and (not workflow_statuses or finding.workflow_status in workflow_statuses)
        )

    return sorted(
        filter(matches, findings),
        key=lambda f: (_severity_rank(f.severity), f.role_arn, f.rule, f.principal or ""),
    )


def _severity_rank(label: str) -> int:
    ranks = {severity.value: rank for severity, rank in SEVERITY_ORDER.items()}
    return ranks.get(label, len(ranks))


def render_json(findings: Sequence[StoredFinding]) -> str:
    return json.dumps([asdict(finding) for finding in findings], indent=2)


def render_table(findings: Sequence[StoredFinding]) -> str:
    if not findings:
        return "No findings."
    headers = ["SEVERITY", "RULE", "ROLE", "PRINCIPAL", "WORKFLOW", "UPDATED", "TITLE"]
    rows = [
        [
            f.severity,
            f.rule,
            f.role_arn,
            f.principal or "-",
            f.workflow_status,
            f.updated_at,
            f.title,
        ]
        for f in findings
    ]
    return "\n".join(render_rows(headers, rows))

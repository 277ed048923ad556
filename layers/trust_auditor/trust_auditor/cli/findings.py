"""`trust-auditor findings`: this product's findings in Security Hub, filtered by Security Hub
(GetFindings filters) and listed in report order."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, TextIO

from trust_auditor.asff import (
    FIELD_COMMAND,
    FIELD_CORRECTED_POLICY,
    FIELD_PRINCIPAL,
    FIELD_ROLE_ARN,
    FIELD_ROLE_NAME,
    FIELD_RULE,
    GENERATOR_PREFIX,
    FindingScope,
    own_product_fields,
)
from trust_auditor.cli.aws_access import add_aws_options, aws_clients, aws_errors, home_region
from trust_auditor.cli.errors import CliError, exit_code
from trust_auditor.cli.options import Commands
from trust_auditor.cli.report import SEVERITY_ORDER, finding_lines, render_rows
from trust_auditor.model import ContextError, Remediation, RoleArn, Rule, Severity
from trust_auditor.rules.catalog import advice

RECORD_STATES = ("ACTIVE", "ARCHIVED")
WORKFLOW_STATUSES = ("NEW", "NOTIFIED", "SUPPRESSED", "RESOLVED")


@dataclass(frozen=True, slots=True)
class StoredFinding:
    """What the operator needs of one ASFF finding of this product."""

    id: str
    rule: str
    severity: str
    role_arn: str
    role_name: str
    principal: str | None
    title: str
    detail: str
    record_state: str
    workflow_status: str
    updated_at: str
    remediation: Remediation

    @classmethod
    def from_asff(cls, finding: Mapping[str, Any]) -> StoredFinding:
        product_fields = own_product_fields(finding)
        resources = finding.get("Resources") or [{}]
        generator = str(finding.get("GeneratorId", ""))
        rule = product_fields.get(FIELD_RULE) or generator.removeprefix(GENERATOR_PREFIX)
        role_arn = product_fields.get(FIELD_ROLE_ARN) or str(resources[0].get("Id", ""))
        recommendation = (finding.get("Remediation") or {}).get("Recommendation", {})
        return cls(
            id=str(finding.get("Id", "")),
            rule=rule,
            severity=str((finding.get("Severity") or {}).get("Label", "")),
            role_arn=role_arn,
            role_name=product_fields.get(FIELD_ROLE_NAME) or role_arn.rpartition("/")[2],
            principal=product_fields.get(FIELD_PRINCIPAL),
            title=str(finding.get("Title", "")),
            detail=str(finding.get("Description", "")),
            record_state=str(finding.get("RecordState", "")),
            workflow_status=str((finding.get("Workflow") or {}).get("Status", "NEW")),
            updated_at=str(finding.get("UpdatedAt", "")),
            remediation=Remediation(
                # The recommendation text ends with the command: the advice is the rule's own.
                # A rule this version does not know keeps the recommendation as it was stored.
                advice(Rule(rule)) if rule in Rule else str(recommendation.get("Text", "")),
                _corrected_policy(product_fields.get(FIELD_CORRECTED_POLICY)),
                product_fields.get(FIELD_COMMAND),
            ),
        )

    def to_dict(self) -> dict[str, Any]:
        data = {field.name: getattr(self, field.name) for field in fields(self)}
        data["remediation"] = self.remediation.to_dict()
        return data


def _corrected_policy(text: str | None) -> Mapping[str, Any] | None:
    if text is None:
        return None
    try:
        policy = json.loads(text)
    except json.JSONDecodeError:
        # Not written by this product as it stands: the command still carries the policy.
        return None
    return policy if isinstance(policy, dict) else None


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
    parser.add_argument(
        "--show-remediation",
        action="store_true",
        help="print each finding's advice, corrected trust policy and command below the table "
        "(JSON always holds them)",
    )
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

    if args.show_remediation and args.format != "table":
        raise CliError("--show-remediation goes with --format table (JSON always holds it)")
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
            rules=args.rule,
            severities=args.severity,
            workflow_statuses=args.workflow_status,
            record_state=args.record_state,
        )
    selected = in_report_order([StoredFinding.from_asff(finding) for finding in stored])
    if args.format == "json":
        print(render_json(selected), file=out)
    else:
        print(render_table(selected), file=out)
        if args.show_remediation:
            for finding in selected:
                print(f"\n{render_remediation(finding)}", file=out)
    return exit_code(len(selected))


def in_report_order(findings: Sequence[StoredFinding]) -> list[StoredFinding]:
    """Most severe first, then by role, rule and principal (Security Hub selected them)."""
    return sorted(
        findings,
        key=lambda f: (_severity_rank(f.severity), f.role_arn, f.rule, f.principal or ""),
    )


def _severity_rank(label: str) -> int:
    ranks = {severity.value: rank for severity, rank in SEVERITY_ORDER.items()}
    return ranks.get(label, len(ranks))


def render_json(findings: Sequence[StoredFinding]) -> str:
    return json.dumps([finding.to_dict() for finding in findings], indent=2)


def render_table(findings: Sequence[StoredFinding]) -> str:
    if not findings:
        return "No findings."
    headers = ["SEVERITY", "RULE", "ROLE", "PRINCIPAL", "WORKFLOW", "TITLE"]
    rows = [
        [f.severity, f.rule, f.role_name, f.principal or "-", f.workflow_status, f.title]
        for f in findings
    ]
    return "\n".join(render_rows(headers, rows))


def render_remediation(finding: StoredFinding) -> str:
    """One stored finding in full, as `check-policy` prints a finding: its detail, the advice,
    the corrected trust policy and the command applying it."""
    heading = f"{finding.severity} {finding.rule} {finding.role_arn}"
    return "\n".join(finding_lines(heading, finding.detail, finding.remediation))

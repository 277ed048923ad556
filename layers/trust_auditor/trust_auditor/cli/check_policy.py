"""`trust-auditor check-policy FILE`: audit one trust policy, or every role of a template/plan."""

from __future__ import annotations

import argparse
import dataclasses
from typing import TextIO

from trust_auditor import evaluate_trust_policy
from trust_auditor.cli.errors import CliError, exit_code
from trust_auditor.cli.iac import IacRole, roles_from_cloudformation, roles_from_terraform
from trust_auditor.cli.options import (
    Commands,
    account_id,
    add_org_options,
    key_value,
    role_arn,
    trust_context,
)
from trust_auditor.cli.report import ReportedFinding, render_json, render_table
from trust_auditor.cli.sources import NESTED_TOO_DEEPLY, InputKind, load_input, read_text
from trust_auditor.model import Finding, Rule

# The own account of a template deployed to an unnamed account. It stands for AWS::AccountId,
# so a role trusting its own account is not reported; it is not a real AWS account id.
PLACEHOLDER_ACCOUNT_ID = "000000000000"


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser(
        "check-policy",
        help="audit a trust policy, CloudFormation/SAM template or Terraform plan",
        description=(
            "Audit a role trust policy (JSON), every role of a CloudFormation/SAM template "
            "(YAML or JSON) or of Terraform `show -json` output. "
            "Exit 0: no findings, 1: findings, 2: usage or input error."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="the file to audit, or - for stdin")
    parser.add_argument(
        "--role-arn",
        type=role_arn,
        help="ARN of the role the policy belongs to (its account is the own account)",
    )
    parser.add_argument(
        "--account-id",
        type=account_id,
        help=(
            "templates and plans: the account they deploy to (AWS::AccountId). "
            f"Without it the own account is shown as {PLACEHOLDER_ACCOUNT_ID}"
        ),
    )
    parser.add_argument(
        "--parameter",
        metavar="NAME=VALUE",
        type=key_value,
        action="append",
        default=[],
        help="templates: a parameter value, instead of its Default (repeatable)",
    )
    parser.add_argument(
        "--input-kind",
        type=InputKind,
        choices=list(InputKind),
        default=InputKind.AUTO,
        help="what FILE holds (default: detected)",
    )
    parser.add_argument("--format", choices=("table", "json"), default="table")
    add_org_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    loaded = load_input(read_text(args.file), args.input_kind)
    if loaded.kind is InputKind.POLICY:
        if args.account_id or args.parameter:
            raise CliError("--account-id and --parameter apply to templates and plans")
        context = trust_context(args, args.role_arn)
        findings = [ReportedFinding(f) for f in evaluate_trust_policy(loaded.content, context)]
    else:
        if args.role_arn:
            raise CliError("--role-arn names one role: for a template or plan use --account-id")
        own_account = args.account_id or PLACEHOLDER_ACCOUNT_ID
        if loaded.kind is InputKind.CLOUDFORMATION:
            try:
                roles = roles_from_cloudformation(
                    loaded.content, account_id=own_account, parameters=dict(args.parameter)
                )
            except RecursionError as error:  # JSON parses deeper than the resolver can walk
                raise CliError(f"template {NESTED_TOO_DEEPLY} to resolve") from error
        else:
            roles = roles_from_terraform(loaded.content)
        if not roles:
            print(f"note: no IAM role in this {loaded.kind.value} input", file=err)
        findings = [
            reported
            for role in roles
            for reported in _audit_declared_role(args, role, own_account, err)
        ]
    print(render_json(findings) if args.format == "json" else render_table(findings), file=out)
    return exit_code(len(findings))


def _audit_declared_role(
    args: argparse.Namespace, role: IacRole, own_account: str, err: TextIO
) -> list[ReportedFinding]:
    arn = role.role_arn or f"arn:aws:iam::{own_account}:role{role.path}{role.role_name}"
    try:
        context = trust_context(args, arn)
    except CliError as error:
        raise CliError(f"{role.resource}: {error}") from error
    findings = evaluate_trust_policy(role.document, context)
    if role.unresolved:
        unresolved = "; ".join(role.unresolved)
        if any(finding.rule is Rule.UNPARSEABLE_POLICY for finding in findings):
            findings = [_explain_unresolved(finding, unresolved) for finding in findings]
        else:  # the evaluator could judge the policy all the same: still say what was guessed
            print(f"warning: {role.resource}: left unresolved: {unresolved}", file=err)
    return [ReportedFinding(finding, role.resource, arn) for finding in findings]


def _explain_unresolved(finding: Finding, unresolved: str) -> Finding:
    """Say why a declared policy could not be understood when the template is the cause."""
    if finding.rule is not Rule.UNPARSEABLE_POLICY:
        return finding
    detail = f"{finding.detail.rstrip('.')}. Left unresolved in the source: {unresolved}."
    return dataclasses.replace(finding, detail=detail)

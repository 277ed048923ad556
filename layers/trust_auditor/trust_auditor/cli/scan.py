"""`trust-auditor scan`: audit every role of an account, live or from an export file."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from trust_auditor.asff import FindingScope, finding_id, to_asff
from trust_auditor.cli.aws_access import (
    DEFAULT_HOME_REGION,
    add_aws_options,
    aws_clients,
    aws_errors,
    home_region,
)
from trust_auditor.cli.errors import CliError, exit_code
from trust_auditor.cli.options import Commands, add_org_options
from trust_auditor.cli.progress import Progress
from trust_auditor.cli.report import ReportedFinding, render_json, render_table
from trust_auditor.cli.sarif import to_sarif
from trust_auditor.cli.sources import NESTED_TOO_DEEPLY, read_text
from trust_auditor.model import RoleArn
from trust_auditor.roles import RoleRecord, RoleRecordError, roles_from_authorization_details

if TYPE_CHECKING:
    from trust_auditor.audit import OrgContext, RoleAudit
    from trust_auditor.aws.clients import AwsClients

FORMATS = ("table", "json", "asff", "sarif")


def add_parser(commands: Commands) -> None:
    parser = commands.add_parser(
        "scan",
        help="audit every role of an account (live, or from an export file)",
        description=(
            "Audit every IAM role of the account the credentials belong to, or of an "
            "`aws iam get-account-authorization-details` export (--from-file). Exit 0: no "
            "findings, 1: findings (roles exempted by tag do not count), 2: usage, input or "
            "AWS error."
        ),
    )
    parser.add_argument(
        "--from-file",
        metavar="FILE",
        help="read roles from a get-account-authorization-details JSON export (- for stdin)",
    )
    parser.add_argument(
        "--lookup-org",
        action="store_true",
        help="read our organization id and accounts from AWS Organizations",
    )
    parser.add_argument("--format", choices=FORMATS, default="table")
    parser.add_argument(
        "--import",
        dest="import_findings",
        action="store_true",
        help=(
            "import the findings into Security Hub, archiving those of fixed roles (and of "
            "deleted roles: on a live scan, or with --archive-missing)"
        ),
    )
    parser.add_argument(
        "--archive-missing",
        action="store_true",
        help=(
            "with --from-file --import: the file is the whole account, so archive the findings "
            "of roles it does not list. Without it only the listed roles' findings change (a "
            "partial or stale export resolves nothing). A live scan always archives them"
        ),
    )
    add_org_options(parser)
    add_aws_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    if args.archive_missing and not (args.from_file is not None and args.import_findings):
        raise CliError(
            "--archive-missing goes with --from-file and --import "
            "(a live scan always archives the findings of roles that are gone)"
        )
    needs_aws = args.from_file is None or args.lookup_org or args.import_findings
    clients = aws_clients(args) if needs_aws else None
    region = home_region(clients) if clients else args.region or DEFAULT_HOME_REGION
    with aws_errors(region):
        org = _org_context(args, clients)
        if clients is not None and args.from_file is None:
            roles: Iterable[RoleRecord] = _live_roles(clients)
        else:
            roles = _exported_roles(args.from_file)
        audits = _audit_all(roles, org, err)
        reported = [
            ReportedFinding(finding, None, audit.role.arn, audit.role.exemption_reason)
            for audit in audits
            for finding in audit.findings
        ]
        print(_render(args.format, audits, reported, region), file=out)
        if args.import_findings and clients is not None:
            # A live scan read every role of the account: findings of roles not among them are
            # stale. An export file may be partial or old: only the operator can say it is whole.
            full_scan = args.from_file is None or args.archive_missing
            _import(clients, region, org, audits, err, full_scan=full_scan)
    return exit_code(sum(1 for item in reported if item.exemption is None))


def _org_context(args: argparse.Namespace, clients: AwsClients | None) -> OrgContext:
    from trust_auditor.audit import OrgContext  # noqa: PLC0415 - pydantic only for scan

    org_id, org_accounts = args.org_id, frozenset(args.org_accounts)
    if args.lookup_org and clients is not None:
        from trust_auditor.aws.organizations import OrganizationReader  # noqa: PLC0415

        found = OrganizationReader(clients.organizations).describe()
        org_id, org_accounts = org_id or found.org_id, org_accounts | found.account_ids
    return OrgContext(
        org_id=org_id,
        org_account_ids=org_accounts,
        trusted_account_ids=frozenset(args.trusted_accounts),
    )


def _exported_roles(name: str) -> list[RoleRecord]:
    try:
        export: Any = json.loads(read_text(name))
    except ValueError as error:
        raise CliError(f"{name}: not JSON: {error}") from error
    except RecursionError as error:
        raise CliError(f"{name}: {NESTED_TOO_DEEPLY}") from error
    if not isinstance(export, dict) or "RoleDetailList" not in export:
        raise CliError(
            f"{name}: no RoleDetailList: expected `aws iam get-account-authorization-details` "
            "output"
        )
    try:
        return list(roles_from_authorization_details(export))
    except RoleRecordError as error:
        raise CliError(f"{name}: {error}") from error


def _live_roles(clients: AwsClients) -> Iterator[RoleRecord]:
    """The account's roles as IAM lists them; what IAM returns that cannot be read as roles is
    a CliError (an audit of part of the account would pass for the whole)."""
    from trust_auditor.aws.iam import IamRoleInventory  # noqa: PLC0415

    operation = "GetAccountAuthorizationDetails"
    try:
        yield from IamRoleInventory(clients.iam).iter_roles()
    except RoleRecordError as error:
        raise CliError(f"{operation} returned an unreadable role: {error}") from error
    except RuntimeError as error:  # the inventory's own "truncated page without a Marker"
        raise CliError(f"{operation}: {error}") from error


def _audit_all(roles: Iterable[RoleRecord], org: OrgContext, err: TextIO) -> list[RoleAudit]:
    from trust_auditor.audit import audit_role  # noqa: PLC0415

    total = len(roles) if isinstance(roles, list) else None
    audits = []
    with Progress(err, "roles audited", total) as progress:
        for role in roles:
            audits.append(audit_role(role, org))
            progress.advance()
    return audits


def _render(
    output: str, audits: list[RoleAudit], reported: list[ReportedFinding], region: str
) -> str:
    if output == "table":
        return render_table(reported)
    if output == "json":
        return render_json(reported)
    if output == "sarif":
        return json.dumps(to_sarif(reported, _finding_id), indent=2)
    now = datetime.now(UTC)
    return json.dumps(
        [
            to_asff(
                finding,
                audit.role,
                scope=FindingScope(audit.role.account_id, audit.role.partition, region),
                created_at=now,
                updated_at=now,
            )
            for audit in audits
            for finding in audit.findings
        ],
        indent=2,
    )


def _finding_id(reported: ReportedFinding) -> str:
    role = RoleArn.parse(reported.role_arn or "")
    finding = reported.finding
    return finding_id(role.account_id, role.name, finding.rule, finding.principal)


def _import(
    clients: AwsClients,
    region: str,
    org: OrgContext,
    audits: list[RoleAudit],
    err: TextIO,
    *,
    full_scan: bool,
) -> None:
    from trust_auditor.audit import AccountMismatchError, Auditor  # noqa: PLC0415
    from trust_auditor.aws.iam import IamRoleReader  # noqa: PLC0415
    from trust_auditor.aws.securityhub import SecurityHubPublisher  # noqa: PLC0415
    from trust_auditor.aws.sts import StsIdentityReader  # noqa: PLC0415

    caller = StsIdentityReader(clients.sts).caller()
    auditor = Auditor(
        roles=IamRoleReader(clients.iam),
        publisher=SecurityHubPublisher(clients.securityhub),
        scope=lambda: FindingScope(caller.account_id, caller.partition, region),
        org_context=lambda: org,
    )
    try:
        summary = auditor.publish_scan(audits, full_scan=full_scan)
    except AccountMismatchError as error:
        raise CliError(str(error)) from error
    print(
        f"Security Hub ({region}): {summary.imported} finding(s) imported, "
        f"{summary.archived} archived, {summary.suppressed} suppressed",
        file=err,
    )

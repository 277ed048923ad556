"""What a reviewer sees in Security Hub: the active findings as `trust-auditor findings` lists
them, counts by severity, and one remediation in full, read back from the stored finding."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from trust_auditor.asff import FIELD_COMMAND, FIELD_CORRECTED_POLICY, FindingScope
from trust_auditor.aws.securityhub import SecurityHubPublisher
from trust_auditor.cli.findings import StoredFinding, render_table, select
from trust_auditor.cli.report import printable
from trust_auditor.model import Severity

if TYPE_CHECKING:
    from mypy_boto3_securityhub import SecurityHubClient

_INDENT = "    "


def security_hub_view(securityhub: SecurityHubClient, scope: FindingScope) -> list[str]:
    stored = SecurityHubPublisher(securityhub).find(
        product_arn=scope.product_arn, account_id=scope.account_id, active_only=True
    )
    active = select(
        [StoredFinding.from_asff(finding) for finding in stored],
        severities=[],
        rules=[],
        record_state="ACTIVE",
        workflow_statuses=[],
    )
    lines = [render_table(active), "", _counts(active)]
    example = _remediation_example(active, {str(f.get("Id")): f for f in stored})
    if example is not None:
        lines += ["", *example]
    return lines


def _counts(findings: Sequence[StoredFinding]) -> str:
    by_severity = Counter(finding.severity for finding in findings)
    counts = ", ".join(f"{severity.value} {by_severity[severity.value]}" for severity in Severity)
    suppressed = sum(finding.workflow_status == "SUPPRESSED" for finding in findings)
    return f"{len(findings)} active findings: {counts} ({suppressed} suppressed)"


def _remediation_example(
    findings: Sequence[StoredFinding], asff_by_id: Mapping[str, Mapping[str, Any]]
) -> list[str] | None:
    """The first open HIGH finding that carries a corrected policy, in full."""
    for finding in findings:
        asff = asff_by_id[finding.id]
        fields = asff.get("ProductFields") or {}
        corrected, command = fields.get(FIELD_CORRECTED_POLICY), fields.get(FIELD_COMMAND)
        if (
            finding.severity != Severity.HIGH
            or finding.workflow_status == "SUPPRESSED"
            or corrected is None
            or command is None
        ):
            continue
        # The recommendation ends with the command, shown on its own below.
        recommendation = finding.remediation.removesuffix(f" Command: {command}")
        return [
            printable(f"Remediation: {finding.rule} ({finding.severity}) on {finding.role_arn}"),
            printable(f"{_INDENT}Principal: {finding.principal or '-'}"),
            *_block("Finding:", str(asff.get("Description", ""))),
            *_block("Recommendation:", recommendation),
            *_block("Corrected trust policy:", json.dumps(json.loads(corrected), indent=2)),
            *_block("Apply it with:", command),
        ]
    return None


def _block(heading: str, text: str) -> list[str]:
    return [_INDENT + heading, *(_INDENT * 2 + printable(line) for line in text.splitlines())]

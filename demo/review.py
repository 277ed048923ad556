"""What a reviewer sees in Security Hub: the active findings as `trust-auditor findings` lists
them, counts by severity, and one remediation in full, read back from the stored finding."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from trust_auditor.asff import FindingScope
from trust_auditor.aws.securityhub import SecurityHubPublisher
from trust_auditor.cli.findings import (
    StoredFinding,
    in_report_order,
    render_remediation,
    render_table,
)
from trust_auditor.model import Severity

if TYPE_CHECKING:
    from mypy_boto3_securityhub import SecurityHubClient


def security_hub_view(securityhub: SecurityHubClient, scope: FindingScope) -> list[str]:
    stored = SecurityHubPublisher(securityhub).find(
        product_arn=scope.product_arn, account_id=scope.account_id, record_state="ACTIVE"
    )
    active = in_report_order([StoredFinding.from_asff(finding) for finding in stored])
    lines = [render_table(active), "", _counts(active)]
    example = _remediation_example(active)
    if example is not None:
        lines += [
            "",
            "One open HIGH finding as `trust-auditor findings --show-remediation` shows it:",
            render_remediation(example),
        ]
    return lines


def _counts(findings: Sequence[StoredFinding]) -> str:
    by_severity = Counter(finding.severity for finding in findings)
    counts = ", ".join(f"{severity.value} {by_severity[severity.value]}" for severity in Severity)
    suppressed = sum(finding.workflow_status == "SUPPRESSED" for finding in findings)
    return f"{len(findings)} active findings: {counts} ({suppressed} suppressed)"


def _remediation_example(findings: Sequence[StoredFinding]) -> StoredFinding | None:
    """The first open HIGH finding that carries a corrected policy and its command."""
    return next(
        (
            finding
            for finding in findings
            if finding.severity == Severity.HIGH
            and finding.workflow_status != "SUPPRESSED"
            and finding.remediation.corrected_policy is not None
            and finding.remediation.command
        ),
        None,
    )

"""Findings as the operator reads them: an aligned table with remediations, or JSON."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from trust_auditor.model import Finding, Remediation, Severity
from trust_auditor.text import escape_control

SEVERITY_ORDER: Mapping[Severity, int] = {severity: rank for rank, severity in enumerate(Severity)}


@dataclass(frozen=True, slots=True)
class ReportedFinding:
    """A finding and where it was found: a template resource, a role ARN, or a lone policy."""

    finding: Finding
    resource: str | None = None  # template logical id or Terraform address
    role_arn: str | None = None
    exemption: str | None = None  # the role's trust-auditor:exempt reason

    @property
    def location(self) -> str | None:
        return self.resource or self.role_arn

    def to_dict(self) -> dict[str, Any]:
        data = self.finding.to_dict()
        optional = {
            "resource": self.resource,
            "role_arn": self.role_arn,
            "exemption": self.exemption,
        }
        data.update({key: value for key, value in optional.items() if value is not None})
        return data


def sort_key(reported: ReportedFinding) -> tuple[int, str, str, str]:
    finding = reported.finding
    return (
        SEVERITY_ORDER[finding.severity],
        reported.location or "",
        finding.rule.value,
        finding.principal or "",
    )


def ordered(findings: Iterable[ReportedFinding]) -> list[ReportedFinding]:
    """Most severe first; then by resource, rule and principal, so output is stable."""
    return sorted(findings, key=sort_key)


def render_json(findings: Sequence[ReportedFinding]) -> str:
    return json.dumps([reported.to_dict() for reported in ordered(findings)], indent=2)


def render_rows(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """Left-aligned columns two spaces apart; the last column is not padded."""
    cells = [[escape_control(cell) for cell in row] for row in [list(headers), *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers) - 1)]
    return [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in cells
    ]


def _indented(text: str, prefix: str = "      ") -> list[str]:
    return [prefix + escape_control(line) for line in text.splitlines()]


def render_table(findings: Sequence[ReportedFinding]) -> str:
    if not findings:
        return "No findings."
    findings = ordered(findings)
    location = _location_header(findings)
    headers = ["#", "SEVERITY", *([location] if location else []), "RULE", "PRINCIPAL", "TITLE"]
    rows = [
        [
            str(number),
            reported.finding.severity.value,
            *([reported.location or "-"] if location else []),
            reported.finding.rule.value,
            reported.finding.principal or "-",
            reported.finding.title,
        ]
        for number, reported in enumerate(findings, start=1)
    ]
    lines = render_rows(headers, rows)
    for number, reported in enumerate(findings, start=1):
        lines += ["", *_remediation_lines(number, reported)]
    return "\n".join(lines)


def _location_header(findings: Sequence[ReportedFinding]) -> str | None:
    if any(reported.resource for reported in findings):
        return "RESOURCE"
    if any(reported.role_arn for reported in findings):
        return "ROLE"
    return None


def _remediation_lines(number: int, reported: ReportedFinding) -> list[str]:
    finding = reported.finding
    where = f" {reported.location}" if reported.location else ""
    heading = f"[{number}] {finding.severity.value} {finding.rule.value}{where}"
    return finding_lines(heading, finding.detail, finding.remediation, reported.exemption)


def finding_lines(
    heading: str, detail: str, remediation: Remediation, exemption: str | None = None
) -> list[str]:
    """One finding in full: its heading, then indented its detail, the exemption if any, the
    advice, the corrected trust policy and the command applying it."""
    lines = [escape_control(heading), *_indented(detail, "    ")]
    if exemption is not None:
        lines += _indented(f"Exempt (role tag): {exemption}", "    ")
    lines += _indented(f"Fix: {remediation.text}", "    ")
    if remediation.corrected_policy is not None:
        lines.append("    Corrected trust policy:")
        lines += _indented(json.dumps(remediation.corrected_policy, indent=2))
    if remediation.command:
        lines.append("    Command:")
        lines += _indented(remediation.command)
    return lines

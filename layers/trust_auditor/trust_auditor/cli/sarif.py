"""Findings as a SARIF 2.1.0 log (OASIS), for code-scanning dashboards.

One reportingDescriptor per rule (in Rule order, so ruleIndex is stable); one result per
finding, located at its role (the ARN as artifact URI and as a logical location of kind
"resource"). partialFingerprints carry the finding id: a finding keeps its identity across runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from typing import Any

from trust_auditor.cli.report import ReportedFinding, ordered
from trust_auditor.model import SEVERITY, Rule, Severity
from trust_auditor.rules.catalog import advice, summary

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"
TOOL_NAME = "trust-auditor"
FINGERPRINT_KEY = "trustAuditorFindingId/v1"

LEVEL: Mapping[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
}
# GitHub code scanning ranks alerts by this 0.0-10.0 score (its critical band is >= 9.0).
SECURITY_SEVERITY: Mapping[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
}


def _tool_version() -> str:
    try:
        return metadata.version(TOOL_NAME)
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _rule_descriptor(rule: Rule) -> dict[str, Any]:
    severity = SEVERITY[rule]
    return {
        "id": rule.value,
        "name": "".join(part.capitalize() for part in rule.value.split("_")),
        "shortDescription": {"text": summary(rule)},
        "help": {"text": advice(rule)},
        "defaultConfiguration": {"level": LEVEL[severity]},
        "properties": {
            "security-severity": SECURITY_SEVERITY[severity],
            "tags": ["security", "iam", "trust-policy"],
        },
    }


def _location(reported: ReportedFinding) -> dict[str, Any]:
    name = reported.role_arn or reported.resource or "trust-policy"
    return {
        "physicalLocation": {"artifactLocation": {"uri": name}},
        "logicalLocations": [{"fullyQualifiedName": name, "kind": "resource"}],
    }


def to_sarif(
    findings: Sequence[ReportedFinding], finding_id: Callable[[ReportedFinding], str]
) -> dict[str, Any]:
    """The SARIF log of one run; `finding_id` gives each finding its stable identity."""
    rule_index = {rule: index for index, rule in enumerate(Rule)}
    results = []
    for reported in ordered(findings):
        finding = reported.finding
        message = finding.title if not finding.detail else f"{finding.title} {finding.detail}"
        results.append(
            {
                "ruleId": finding.rule.value,
                "ruleIndex": rule_index[finding.rule],
                "level": LEVEL[finding.severity],
                "message": {"text": f"{message}\nFix: {finding.remediation.text}"},
                "locations": [_location(reported)],
                "partialFingerprints": {FINGERPRINT_KEY: finding_id(reported)},
                "properties": {
                    "severity": finding.severity.value,
                    "principal": finding.principal,
                    "remediation": finding.remediation.to_dict(),
                },
            }
        )
    driver = {
        "name": TOOL_NAME,
        "version": _tool_version(),
        "rules": [_rule_descriptor(rule) for rule in Rule],
    }
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{"tool": {"driver": driver}, "results": results}],
    }

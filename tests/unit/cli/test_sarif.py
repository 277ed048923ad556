"""The SARIF 2.1.0 log of findings."""

from __future__ import annotations

from typing import Any

from trust_auditor.cli.report import ReportedFinding
from trust_auditor.cli.sarif import FINGERPRINT_KEY, to_sarif
from trust_auditor.model import Finding, Remediation, Rule

ROLE = "arn:aws:iam::111122223333:role/Shared"


def _reported(rule: Rule, principal: str | None) -> ReportedFinding:
    finding = Finding(rule, principal, f"{rule.value} title", "detail", Remediation("fix it"))
    return ReportedFinding(finding, ROLE, ROLE)


def _log(*findings: ReportedFinding) -> dict[str, Any]:
    return to_sarif(list(findings), lambda reported: f"id-{reported.finding.rule.value}")


def test_log_shape() -> None:
    log = _log(_reported(Rule.EXTERNAL_ID_MISSING, "444455556666"))
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "trust-auditor"
    assert isinstance(driver["version"], str)
    assert [rule["id"] for rule in driver["rules"]] == [rule.value for rule in Rule]
    for descriptor in driver["rules"]:
        assert set(descriptor) == {
            "id",
            "name",
            "shortDescription",
            "help",
            "defaultConfiguration",
            "properties",
        }
        assert descriptor["shortDescription"]["text"]
        assert descriptor["help"]["text"]
        assert descriptor["defaultConfiguration"]["level"] in {"error", "warning", "note"}
        assert float(descriptor["properties"]["security-severity"]) <= 10.0


def test_result_points_at_its_rule_role_and_identity() -> None:
    log = _log(_reported(Rule.ORG_CONDITION_MISSING, "222233334444"))
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    (result,) = log["runs"][0]["results"]
    assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == "ORG_CONDITION_MISSING"
    assert result["level"] == "warning"
    assert result["message"]["text"].startswith("ORG_CONDITION_MISSING title detail")
    assert result["locations"] == [
        {
            "physicalLocation": {"artifactLocation": {"uri": ROLE}},
            "logicalLocations": [{"fullyQualifiedName": ROLE, "kind": "resource"}],
        }
    ]
    assert result["partialFingerprints"] == {FINGERPRINT_KEY: "id-ORG_CONDITION_MISSING"}
    assert result["properties"]["principal"] == "222233334444"


def test_severity_maps_to_level() -> None:
    log = _log(
        _reported(Rule.SERVICE_CONFUSED_DEPUTY, "sns.amazonaws.com"),
        _reported(Rule.PUBLIC_TRUST, "*"),
        _reported(Rule.UNPARSEABLE_POLICY, None),
        _reported(Rule.ORG_CONDITION_MISSING, "222233334444"),
    )
    levels = {r["ruleId"]: r["level"] for r in log["runs"][0]["results"]}
    assert levels == {
        "PUBLIC_TRUST": "error",
        "UNPARSEABLE_POLICY": "error",
        "ORG_CONDITION_MISSING": "warning",
        "SERVICE_CONFUSED_DEPUTY": "note",
    }


def test_no_findings_is_a_run_with_no_results() -> None:
    assert _log()["runs"][0]["results"] == []

"""The rule families, in the order their findings are reported. Each module declares the rule
ids it produces (`RULES`) and a `check(analysis)` yielding exposures."""

from __future__ import annotations

from trust_auditor.rules import account_trust, dangling, service, web_identity
from trust_auditor.rules.base import Exposure, Fix, RuleCheck

FAMILIES = (account_trust, web_identity, service, dangling)
CHECKS: tuple[RuleCheck, ...] = tuple(family.check for family in FAMILIES)

__all__ = ["CHECKS", "FAMILIES", "Exposure", "Fix", "RuleCheck"]

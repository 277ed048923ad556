"""trust-auditor: find who outside an AWS account can assume its IAM roles, and whether the
guards that should stop them really do.

`import trust_auditor` is light (standard library only): it runs on every Lambda cold start.
"""

from __future__ import annotations

from trust_auditor.evaluate import evaluate_trust_policy
from trust_auditor.model import ContextError, Finding, Remediation, Rule, Severity, TrustContext

__all__ = [
    "ContextError",
    "Finding",
    "Remediation",
    "Rule",
    "Severity",
    "TrustContext",
    "evaluate_trust_policy",
]

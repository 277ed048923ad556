"""The trust-policy logic of peer tools next to evaluate_trust_policy, on the same inputs.

Each tool gets the JSON text of every corpus policy, cycled to at least 20,000 policies, and does
what it does for a role trust policy:
- Prowler: `is_policy_public(policy, source_account, check_cross_service_confused_deputy=True)`
  (its iam_role_cross_service_confused_deputy_prevention and public-trust checks);
- Cloud Custodian: `PolicyChecker(...).check(text)` of its cross-account filter;
- policyuniverse: `Policy(policy).is_internet_accessible()`.
They answer one yes/no question each and do less than the evaluator (no remediation, no rule
per principal). Run with `make bench-peers`, which installs them into their own virtualenv.
A tool that raises on a policy is counted, not timed apart: that is its fail-open or crash rate.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any

from bench_evaluate import load_cases

from trust_auditor import evaluate_trust_policy

OWN_ACCOUNT = "111122223333"
ORG_ID = "o-exampleorg1"


def peers() -> dict[str, Callable[[str], Any]]:
    # Cloud Custodian logs every condition key it has no handler for (sts:ExternalId among them).
    logging.getLogger("custodian").setLevel(logging.CRITICAL)
    from c7n.filters.iamaccess import PolicyChecker  # noqa: PLC0415
    from policyuniverse.policy import Policy  # noqa: PLC0415
    from prowler.providers.aws.services.iam.lib.policy import is_policy_public  # noqa: PLC0415

    checker = PolicyChecker({"allowed_accounts": [OWN_ACCOUNT], "allowed_orgid": [ORG_ID]})
    return {
        "prowler is_policy_public": lambda text: is_policy_public(
            json.loads(text), OWN_ACCOUNT, check_cross_service_confused_deputy=True
        ),
        "c7n PolicyChecker.check": checker.check,
        "policyuniverse is_internet_accessible": lambda text: Policy(
            json.loads(text)
        ).is_internet_accessible(),
    }


def timed(run: Callable[[str], Any], texts: list[str], repeats: int) -> tuple[float, int]:
    """Best per-policy microseconds over `repeats`, and how many policies made it raise."""
    best, errors = float("inf"), 0
    for _ in range(repeats):
        errors = 0
        start = time.perf_counter()
        for text in texts:
            try:
                run(text)
            except Exception:
                errors += 1
        best = min(best, time.perf_counter() - start)
    return best / len(texts) * 1e6, errors


def main() -> int:
    cases = load_cases()
    workload = [cases[i % len(cases)] for i in range(20_000)]
    texts = [text for text, _ in workload]
    contexts = dict(workload)
    ours = {"trust-auditor evaluate_trust_policy": lambda t: evaluate_trust_policy(t, contexts[t])}
    baseline, _ = timed(json.loads, [t for t in texts if _parses(t)], 5)
    print(f"{'json.loads (valid JSON only)':40} {baseline:8.2f} us/policy")
    for name, run in {**ours, **peers()}.items():
        cost, errors = timed(run, texts, 5)
        per_case = errors * len(cases) // len(texts)
        print(f"{name:40} {cost:8.2f} us/policy  raised on {per_case} of {len(cases)} policies")
    return 0


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())

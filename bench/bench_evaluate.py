"""Cost per policy of evaluate_trust_policy on JSON text, next to json.loads of the same texts.

Cycles the labelled corpus (../shared/corpus when present, else a built-in sample) to at least
20,000 policies and prints per-policy times and their ratio. Wall time on a shared VM is noisy,
so where valgrind is installed it also prints the instructions per policy that callgrind
counts for both, and their ratio. Figures, not assertions.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from trust_auditor import TrustContext, evaluate_trust_policy

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
SAMPLE = [
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"sts:ExternalId": "c7f2e1a0"}},
            }
        ],
    },
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "ecs-tasks.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    },
]


def load_cases() -> list[tuple[str, TrustContext]]:
    if not CORPUS.is_dir():
        context = TrustContext(role_arn="arn:aws:iam::111122223333:role/Bench")
        return [(json.dumps(p), context) for p in SAMPLE]
    cases = []
    for path in sorted(CORPUS.glob("*.json")):
        case = json.loads(path.read_text())
        c = case["context"]
        context = TrustContext(
            role_arn=c.get("role_arn"),
            org_id=c.get("org_id"),
            org_account_ids=c.get("org_account_ids") or (),
            trusted_account_ids=c.get("trusted_account_ids") or (),
        )
        policy = case["policy"]
        cases.append((policy if isinstance(policy, str) else json.dumps(policy), context))
    return cases


def per_policy_us(runs: Sequence[Callable[[], Any]], count: int, repeats: int) -> list[float]:
    """Best-of-`repeats` wall time per policy of each run, in microseconds. The runs alternate
    within each repeat, so that a busy machine slows them alike and the ratio stays fair."""
    best = [float("inf")] * len(runs)
    for _ in range(repeats):
        for index, run in enumerate(runs):
            start = time.perf_counter()
            run()
            best[index] = min(best[index], time.perf_counter() - start)
    return [seconds / count * 1e6 for seconds in best]


def run_only(mode: str, workload: Sequence[tuple[str, TrustContext]]) -> None:
    """One pass of `json` or `evaluate` over the workload, for the instruction count."""
    for text, context in workload:
        if mode == "evaluate":
            evaluate_trust_policy(text, context)
        elif mode == "json":
            with contextlib.suppress(ValueError):
                json.loads(text)


def instructions_per_policy(policies: int) -> tuple[float, float] | None:
    """Instructions per policy of json.loads and of evaluate_trust_policy, counted by
    valgrind's callgrind (the same count whatever else the machine is doing); None when
    valgrind is missing. Each count is a run's total minus an empty run's (start-up, imports)."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return None
    totals = {}
    for mode in ("none", "json", "evaluate"):
        with tempfile.TemporaryDirectory() as scratch:
            out = subprocess.run(
                [
                    valgrind,
                    "--tool=callgrind",
                    f"--callgrind-out-file={scratch}/out",
                    sys.executable,
                    __file__,
                    "--run-only",
                    mode,
                    "--policies",
                    str(policies),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
        match = re.search(r"Collected : (\d+)", out.stderr)
        if match is None:
            return None
        totals[mode] = int(match.group(1))
    return (
        (totals["json"] - totals["none"]) / policies,
        (totals["evaluate"] - totals["none"]) / policies,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--policies", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--instruction-policies",
        type=int,
        default=2_000,
        help="policies per callgrind run (0: skip the instruction count)",
    )
    parser.add_argument("--run-only", choices=["none", "json", "evaluate"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    cases = load_cases()
    workload = [cases[i % len(cases)] for i in range(max(args.policies, len(cases)))]
    if args.run_only:
        run_only(args.run_only, workload)
        return 0
    texts = [text for text, _ in workload]

    def parse_only() -> None:
        for text in texts:
            with contextlib.suppress(ValueError):
                json.loads(text)

    def evaluate_all() -> None:
        for text, context in workload:
            evaluate_trust_policy(text, context)

    json_us, eval_us = per_policy_us([parse_only, evaluate_all], len(texts), args.repeats)
    findings = [len(evaluate_trust_policy(t, c)) for t, c in cases]
    print(f"policies evaluated      {len(texts):>10,} ({len(cases)} distinct, cycled)")
    print(f"findings per policy     {statistics.mean(findings):>10.2f} (mean)")
    print(f"json.loads              {json_us:>10.2f} us/policy")
    print(f"evaluate_trust_policy   {eval_us:>10.2f} us/policy (includes parsing the JSON)")
    print(f"ratio                   {eval_us / json_us:>10.1f} x json.loads")
    print(f"throughput              {1e6 / eval_us:>10,.0f} policies/s on one core")
    counted = (
        instructions_per_policy(args.instruction_policies) if args.instruction_policies else None
    )
    if counted is not None:
        json_ir, eval_ir = counted
        print(f"instructions, json.loads            {json_ir:>10,.0f} per policy (callgrind)")
        print(f"instructions, evaluate_trust_policy {eval_ir:>10,.0f} per policy (callgrind)")
        print(f"instruction ratio       {eval_ir / json_ir:>10.1f} x json.loads")
    return 0


if __name__ == "__main__":
    sys.exit(main())

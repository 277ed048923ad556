"""Shared helpers for the core's tests: the labelled corpus and context builders."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from trust_auditor import TrustContext

CORPUS_DIR = Path(__file__).resolve().parents[4] / "shared" / "corpus"
OWN = "111122223333"
ORG = "o-exampleorg1"
ORG_ACCOUNTS = (OWN, "222233334444", "333344445555", "555566667777", "666677778888")
PARTNER = "444455556666"


def corpus_cases() -> list[dict[str, Any]]:
    cases = [json.loads(p.read_text()) for p in sorted(CORPUS_DIR.glob("*.json"))]
    assert cases, f"no corpus cases under {CORPUS_DIR}"
    return cases


def context_of(case: dict[str, Any]) -> TrustContext:
    c = case["context"]
    return TrustContext(
        role_arn=c.get("role_arn"),
        org_id=c.get("org_id"),
        org_account_ids=c.get("org_account_ids") or (),
        trusted_account_ids=c.get("trusted_account_ids") or (),
    )


def org_context(role: str = "Target", **overrides: Any) -> TrustContext:
    arguments: dict[str, Any] = {
        "role_arn": f"arn:aws:iam::{OWN}:role/{role}",
        "org_id": ORG,
        "org_account_ids": ORG_ACCOUNTS,
    }
    arguments.update(overrides)
    return TrustContext(**arguments)


def allow(principal: Any, condition: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal}
    statement["Action"] = extra.pop("Action", "sts:AssumeRole")
    if condition is not None:
        statement["Condition"] = condition
    statement.update(extra)
    return statement


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}

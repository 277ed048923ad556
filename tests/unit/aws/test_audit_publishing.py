"""What the Auditor writes to Security Hub, over in-memory adapters: the alert marker only on
the import that opens a finding, the workflow status as Security Hub keeps it across imports,
and one publication per (role, caller account) within the assumption cache TTL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

import pytest

from tests.helpers.cloudtrail import assume_role_event
from trust_auditor.asff import FIELD_ALERT, NOTE_AUTHOR, FindingScope, WorkflowChange
from trust_auditor.audit import Auditor, OrgContext
from trust_auditor.events import ScanRequest, parse_assume_role_event
from trust_auditor.roles import EXEMPT_TAG, RoleRecord, role_key

ACCOUNT = "111122223333"
PARTNER = "444455556666"
OTHER_PARTNER = "777788889999"
SCOPE = FindingScope(ACCOUNT, "aws", "us-east-1")


def _trust(*accounts: str) -> dict[str, Any]:
    principals = [f"arn:aws:iam::{account}:root" for account in accounts]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": principals}, "Action": "sts:AssumeRole"}
        ],
    }


OUR_SUPPRESSION = {"Text": "Suppressed by trust-auditor: role tag ...", "UpdatedBy": NOTE_AUTHOR}
OUR_UNSUPPRESSION = {
    "Text": f"trust-auditor: the {EXEMPT_TAG} tag was removed from the role",
    "UpdatedBy": NOTE_AUTHOR,
}
CUSTOMER_NOTE = {"Text": "accepted risk", "UpdatedBy": "alice"}


def _role(
    name: str = "partner", *, exempt: bool = False, trusted: tuple[str, ...] = (PARTNER,)
) -> RoleRecord:
    return RoleRecord(
        arn=f"arn:aws:iam::{ACCOUNT}:role/{name}",
        name=name,
        path="/",
        account_id=ACCOUNT,
        role_id=None,
        trust_policy=_trust(*trusted),
        tags=MappingProxyType({EXEMPT_TAG: "vendor contract"} if exempt else {}),
    )


class _Roles:
    def __init__(self, *roles: RoleRecord) -> None:
        self.roles = {role_key(role.name): role for role in roles}
        self.reads = 0

    def get_role(self, name: str) -> RoleRecord | None:
        self.reads += 1
        return self.roles.get(role_key(name))


class _Store:
    """Security Hub as the Auditor sees it: stored findings, and the writes it is sent."""

    def __init__(self, stored: Iterable[Mapping[str, Any]] = ()) -> None:
        self.stored = [dict(finding) for finding in stored]
        self.finds: list[dict[str, Any]] = []
        self.imports: list[dict[str, Any]] = []
        self.changes: list[WorkflowChange] = []

    def find(
        self,
        *,
        product_arn: str,
        account_id: str,
        role_name: str | None = None,
        finding_ids: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]:
        self.finds.append({"role_name": role_name, "finding_ids": finding_ids})
        prefix = f"trust-auditor/{account_id}/{role_key(role_name)}/" if role_name else ""
        return [
            finding
            for finding in self.stored
            if finding["Id"].startswith(prefix)
            and (finding_ids is None or finding["Id"] in finding_ids)
        ]

    def import_findings(self, findings: Sequence[Mapping[str, Any]]) -> int:
        self.imports += [dict(finding) for finding in findings]
        return len(findings)

    def update_workflow(self, changes: Iterable[WorkflowChange]) -> int:
        self.changes += list(changes)
        return len(self.changes)


def _auditor(roles: _Roles, store: _Store, *, now: list[float] | None = None) -> Auditor:
    clock = now if now is not None else [0.0]
    return Auditor(
        roles=roles,
        publisher=store,
        scope=lambda: SCOPE,
        org_context=OrgContext,
        assumption_cache_seconds=300,
        monotonic=lambda: clock[0],
    )


def _first_import(role: RoleRecord) -> dict[str, Any]:
    """The finding the role's trust raises, as first imported."""
    store = _Store()
    _auditor(_Roles(role), store).scan(ScanRequest(roles=(role.name,)))
    [finding] = store.imports
    return finding


def _stored(record_state: str, workflow: str, note: Mapping[str, str] | None) -> dict[str, Any]:
    finding = _first_import(_role())
    finding["ProductFields"] = {
        key: value for key, value in finding["ProductFields"].items() if key != FIELD_ALERT
    }
    finding |= {
        "RecordState": record_state,
        "Compliance": {"Status": "PASSED" if record_state == "ARCHIVED" else "FAILED"},
        "Workflow": {"Status": workflow},
    }
    if note is not None:
        finding["Note"] = dict(note)
    return finding


@pytest.mark.parametrize(
    ("stored", "exempt", "alert", "change"),
    [
        pytest.param(None, False, True, None, id="created-alerts"),
        pytest.param(_stored("ACTIVE", "NEW", None), False, False, None, id="re-import-silent"),
        pytest.param(
            _stored("ACTIVE", "NOTIFIED", None), False, False, None, id="re-import-notified"
        ),
        pytest.param(_stored("ARCHIVED", "NEW", None), False, True, None, id="reopened-alerts"),
        pytest.param(
            _stored("ARCHIVED", "RESOLVED", None),
            False,
            True,
            None,
            id="reopened-resolved-reset-by-security-hub",
        ),
        pytest.param(
            _stored("ARCHIVED", "SUPPRESSED", CUSTOMER_NOTE),
            False,
            True,  # the rule's Workflow NEW filter keeps the customer's suppression quiet
            None,
            id="reopened-customer-suppression-kept",
        ),
        pytest.param(
            _stored("ARCHIVED", "SUPPRESSED", OUR_SUPPRESSION),
            False,
            True,
            "NEW",
            id="reopened-our-suppression-lifted",
        ),
        pytest.param(
            _stored("ACTIVE", "SUPPRESSED", OUR_SUPPRESSION),
            False,
            True,
            "NEW",
            id="exemption-removed-unsuppresses",
        ),
        pytest.param(
            _stored("ACTIVE", "SUPPRESSED", CUSTOMER_NOTE),
            False,
            False,
            None,
            id="customer-suppression-left-alone",
        ),
        pytest.param(
            _stored("ACTIVE", "SUPPRESSED", OUR_UNSUPPRESSION),
            False,
            False,
            None,
            id="suppressed-after-our-unsuppress-note-is-the-customers",
        ),
        pytest.param(None, True, False, "SUPPRESSED", id="exempt-created-silent"),
        pytest.param(
            _stored("ARCHIVED", "RESOLVED", None),
            True,
            False,
            "SUPPRESSED",
            id="exempt-reopened-silent",
        ),
    ],
)
def test_alert_marker_and_workflow_per_import(
    stored: dict[str, Any] | None, exempt: bool, alert: bool, change: str | None
):
    store = _Store([stored] if stored else [])
    _auditor(_Roles(_role(exempt=exempt)), store).scan(ScanRequest(roles=("partner",)))
    [imported] = store.imports
    assert (FIELD_ALERT in imported["ProductFields"]) is alert
    if alert:
        assert imported["ProductFields"][FIELD_ALERT] == "new"
    assert [c.status for c in store.changes] == ([change] if change else [])


def test_archiving_never_carries_the_marker():
    stored = _first_import(_role())  # stored as first imported: marker included
    store = _Store([stored | {"Workflow": {"Status": "NEW"}}])
    _auditor(_Roles(), store).scan(ScanRequest(roles=("partner",)))  # the role is gone
    [archived] = store.imports
    assert archived["RecordState"] == "ARCHIVED"
    assert FIELD_ALERT not in archived["ProductFields"]


def _assumption(role: RoleRecord, caller: str = PARTNER) -> Any:
    return parse_assume_role_event(assume_role_event(role.arn, caller))


def test_burst_of_assumptions_is_read_and_published_once():
    role = _role()
    roles, store = _Roles(role), _Store()
    auditor = _auditor(roles, store)
    results = [auditor.on_assume_role(_assumption(role)) for _ in range(10)]
    assert roles.reads == 1
    assert len(store.imports) == 1 and len(store.finds) == 1
    # Only that one finding is fetched, by Id.
    assert store.finds[0]["role_name"] is None
    assert store.finds[0]["finding_ids"] == [store.imports[0]["Id"]]
    assert results[0].summary.imported == 1
    assert {r.skipped for r in results[1:]} == {"assumption reported recently"}


def test_reported_assumption_is_published_again_after_the_ttl_or_for_another_caller():
    role = _role(trusted=(PARTNER, OTHER_PARTNER))
    now = [0.0]
    store = _Store()
    auditor = _auditor(_Roles(role), store, now=now)
    auditor.on_assume_role(_assumption(role))
    auditor.on_assume_role(_assumption(role, caller=OTHER_PARTNER))
    assert len(store.imports) == 2
    now[0] = 301.0
    auditor.on_assume_role(_assumption(role))
    assert len(store.imports) == 3


def test_failed_publication_is_not_remembered_as_reported():
    role = _role()
    store = _Store()
    failing_imports = [RuntimeError("throttled")]

    def import_findings(findings: Sequence[Mapping[str, Any]]) -> int:
        if failing_imports:
            raise failing_imports.pop()
        return _Store.import_findings(store, findings)

    store.import_findings = import_findings  # type: ignore[method-assign]
    auditor = _auditor(_Roles(role), store)
    with pytest.raises(RuntimeError):
        auditor.on_assume_role(_assumption(role))
    assert auditor.on_assume_role(_assumption(role)).summary.imported == 1


def test_role_names_are_matched_whatever_their_case():
    """An event may spell the name in another case than IAM: one role, one set of findings."""
    stored = _first_import(_role("Vendor-Partner")) | {"Workflow": {"Status": "NEW"}}
    store = _Store([stored])
    result = _auditor(_Roles(), store).scan(ScanRequest(roles=("VENDOR-PARTNER",)))
    assert result.summary.archived == 1
    assert store.finds == [{"role_name": "VENDOR-PARTNER", "finding_ids": None}]

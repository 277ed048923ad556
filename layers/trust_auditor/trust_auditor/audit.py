"""The use cases: audit a role, react to role changes and assumptions, scan an account.

Adapters (IAM, Security Hub, identity, organization) are passed in; this module makes no AWS
call itself and imports no boto3. Every write is an idempotent upsert keyed by the finding Id,
so late, duplicated or retried events converge on the same Security Hub state.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from trust_auditor.asff import (
    FIELD_CALLER_ACCOUNT,
    FIELD_EVENT_ID,
    FIELD_EVENT_TIME,
    FIELD_SOURCE_IP,
    GENERATOR_PREFIX,
    NOTE_AUTHOR,
    NOTE_MAX,
    FindingScope,
    WorkflowChange,
    archived,
    finding_id,
    import_reopens,
    next_updated_at,
    own_product_fields,
    parse_timestamp,
    role_key_of,
    to_asff,
)
from trust_auditor.evaluate import evaluate_trust_policy
from trust_auditor.events import AssumeRoleEvent, InvalidEventError, RoleChangeEvent, ScanRequest
from trust_auditor.model import ContextError, Finding, RoleArn, Rule, TrustContext
from trust_auditor.observed import ObservedAssumption, observed_assumption_finding
from trust_auditor.roles import EXEMPT_TAG, RoleRecord, role_key
from trust_auditor.text import sanitize

logger = logging.getLogger(__name__)

Clock = Callable[[], datetime]
_OBSERVED_GENERATOR = GENERATOR_PREFIX + Rule.OBSERVED_UNGUARDED_ASSUMPTION.value
_SUPPRESS_NOTE_PREFIX = "Suppressed by trust-auditor:"
_UNSUPPRESS_NOTE = f"trust-auditor: the {EXEMPT_TAG} tag was removed from the role"


class AccountMismatchError(ValueError):
    """Roles or events of another account: findings can only be imported for the caller's."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class OrgContext:
    """What the operator or AWS Organizations tells us about our organization."""

    org_id: str | None = None
    org_account_ids: frozenset[str] = frozenset()
    trusted_account_ids: frozenset[str] = frozenset()

    def trust_context(self, role: RoleRecord) -> TrustContext:
        return TrustContext(
            role_arn=role.arn,
            org_id=self.org_id,
            org_account_ids=self.org_account_ids,
            trusted_account_ids=self.trusted_account_ids,
            tags=role.tags,
        )


@dataclass(frozen=True, slots=True)
class RoleAudit:
    role: RoleRecord
    findings: tuple[Finding, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "role_arn": self.role.arn,
            "role_name": self.role.name,
            "exemption": self.role.exemption_reason,
            "findings": [finding.to_dict() for finding in self.findings],
        }


def audit_role(role: RoleRecord, org: OrgContext) -> RoleAudit:
    """Evaluate one role's trust policy (pure; the CLI reuses it)."""
    findings = evaluate_trust_policy(role.trust_policy, org.trust_context(role))
    return RoleAudit(role=role, findings=tuple(findings))


class RoleSource(Protocol):
    def get_role(self, name: str) -> RoleRecord | None: ...


class RoleInventory(Protocol):
    def iter_roles(self) -> Iterator[RoleRecord]: ...


class FindingStore(Protocol):
    def find(
        self,
        *,
        product_arn: str,
        account_id: str,
        role_name: str | None = None,
        finding_ids: Sequence[str] | None = None,
    ) -> list[dict[str, Any]]: ...

    def import_findings(self, findings: Sequence[Mapping[str, Any]]) -> int: ...

    def update_workflow(self, changes: Iterable[WorkflowChange]) -> int: ...


@dataclass(frozen=True, slots=True)
class PublishSummary:
    imported: int = 0
    archived: int = 0
    suppressed: int = 0
    unsuppressed: int = 0

    def to_dict(self) -> dict[str, int]:
        return {
            "findings_imported": self.imported,
            "findings_archived": self.archived,
            "findings_suppressed": self.suppressed,
            "findings_unsuppressed": self.unsuppressed,
        }


@dataclass(frozen=True, slots=True)
class AuditResult:
    """What one event led to; `skipped` says why nothing was done, when nothing was."""

    event_id: str
    role_name: str | None
    findings: tuple[Finding, ...] = ()
    summary: PublishSummary = field(default_factory=PublishSummary)
    skipped: str | None = None

    def metric_counts(self) -> dict[str, int]:
        return {
            "RolesAudited": 0 if self.skipped else 1,
            "FindingsImported": self.summary.imported,
            "FindingsArchived": self.summary.archived,
        }

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"event_id": self.event_id, "role_name": self.role_name}
        if self.skipped:
            result["skipped"] = self.skipped
            return result
        result["findings"] = [
            {"rule": f.rule.value, "severity": f.severity.value, "principal": f.principal}
            for f in self.findings
        ]
        result.update(self.summary.to_dict())
        return result


@dataclass(frozen=True, slots=True)
class ScanResult:
    audits: tuple[RoleAudit, ...]
    dry_run: bool
    summary: PublishSummary = field(default_factory=PublishSummary)

    def metric_counts(self) -> dict[str, int]:
        return {
            "RolesAudited": len(self.audits),
            "FindingsImported": self.summary.imported,
            "FindingsArchived": self.summary.archived,
        }

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {
            "dry_run": self.dry_run,
            "roles_audited": len(self.audits),
            "findings": sum(len(audit.findings) for audit in self.audits),
            **self.summary.to_dict(),
        }
        if self.dry_run:  # nothing was written: the findings are the answer
            result["roles"] = [audit.to_dict() for audit in self.audits if audit.findings]
        return result


@dataclass(frozen=True, slots=True)
class _Wanted:
    """A finding the role should have now, with its extra ProductFields."""

    finding: Finding
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _ExpiringCache[K, V]:
    """Values remembered for `seconds` of the monotonic clock (nothing when seconds <= 0)."""

    seconds: float
    monotonic: Callable[[], float]
    _entries: dict[K, tuple[float, V]] = field(default_factory=dict)

    def get(self, key: K) -> tuple[V] | None:
        """`(value,)` while fresh, else None (a remembered value may itself be None)."""
        entry = self._entries.get(key)
        if entry is None or entry[0] <= self.monotonic():
            return None
        return (entry[1],)

    def put(self, key: K, value: V) -> None:
        if self.seconds <= 0:
            return
        now = self.monotonic()
        # A warm instance sees many roles and callers over its life: forget the expired.
        self._entries = {k: entry for k, entry in self._entries.items() if entry[0] > now}
        self._entries[key] = (now + self.seconds, value)


@dataclass(slots=True)
class _Plan:
    imports: list[dict[str, Any]] = field(default_factory=list)
    archives: list[dict[str, Any]] = field(default_factory=list)
    workflow: list[WorkflowChange] = field(default_factory=list)


class Auditor:
    """The three functions' use cases over injected adapters."""

    def __init__(
        self,
        *,
        roles: RoleSource,
        publisher: FindingStore,
        scope: Callable[[], FindingScope],
        org_context: Callable[[], OrgContext],
        inventory: RoleInventory | None = None,
        assumption_cache_seconds: float = 300.0,
        clock: Clock = utc_now,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._roles = roles
        self._publisher = publisher
        self._scope_source = scope
        self._org_source = org_context
        self._inventory = inventory
        self._clock = clock
        self._scope: FindingScope | None = None
        self._org: OrgContext | None = None
        # Both keyed by role_key: a burst of assumptions is one GetRole and one publication.
        self._role_cache: _ExpiringCache[str, RoleRecord | None] = _ExpiringCache(
            assumption_cache_seconds, monotonic
        )
        self._reported: _ExpiringCache[tuple[str, str], None] = _ExpiringCache(
            assumption_cache_seconds, monotonic
        )

    # Identity and organization are looked up once per instance (once per cold start).
    def scope(self) -> FindingScope:
        if self._scope is None:
            self._scope = self._scope_source()
        return self._scope

    def org(self) -> OrgContext:
        if self._org is None:
            self._org = self._org_source()
        return self._org

    def audit(self, role: RoleRecord) -> RoleAudit:
        return audit_role(role, self.org())

    def on_role_change(self, event: RoleChangeEvent) -> AuditResult:
        if event.error_code:
            return self._skip(event.event_id, event.role_name, f"failed call: {event.error_code}")
        self._check_account(event.account_id)
        # The event only triggers: re-read the role, whatever the event says (events arrive
        # late and out of order; a DeleteRole may be followed by a CreateRole of the name).
        role = self._roles.get_role(event.role_name)
        audit = self.audit(role) if role else None
        summary = self._publish([(event.role_name, audit)], full_scan=False)
        logger.info(
            "role audited",
            extra={
                "role_name": event.role_name,
                "event_name": event.event_name,
                "cloudtrail_event_id": event.cloudtrail_event_id,
                "exists": role is not None,
                "rules": [finding.rule.value for finding in audit.findings] if audit else [],
            },
        )
        return AuditResult(
            event_id=event.event_id,
            role_name=event.role_name,
            findings=audit.findings if audit else (),
            summary=summary,
        )

    def on_assume_role(self, event: AssumeRoleEvent) -> AuditResult:
        if event.error_code:
            return self._skip(event.event_id, None, f"failed call: {event.error_code}")
        try:
            role_arn = RoleArn.parse(event.role_arn)
        except ContextError as error:
            raise InvalidEventError(f"requestParameters.roleArn: {error}") from error
        if event.caller_account_id == role_arn.account_id:
            return self._skip(event.event_id, role_arn.name, "same-account call")
        self._check_account(role_arn.account_id)
        role = self._cached_role(role_arn.name)
        if role is None:
            return self._skip(event.event_id, role_arn.name, "the role no longer exists")
        assumption = ObservedAssumption(
            role_arn=role.arn,
            caller_account_id=event.caller_account_id,
            external_id_present=event.external_id_present,
            event_id=event.cloudtrail_event_id,
            event_time=event.event_time,
            source_ip=event.source_ip,
        )
        finding = observed_assumption_finding(
            assumption, role.trust_policy, self.org().trust_context(role)
        )
        reported_key = (role_key(role.name), event.caller_account_id)
        if finding is not None and self._reported.get(reported_key) is not None:
            # Reported moments ago by this instance; the scheduled scan keeps it alive.
            return self._skip(event.event_id, role.name, "assumption reported recently")
        summary = PublishSummary()
        if finding is not None:
            summary = self._publish_observation(role, finding, assumption)
            self._reported.put(reported_key, None)
        logger.info(
            "assumption audited",
            extra={
                "role_arn": role.arn,
                "caller_account_id": event.caller_account_id,
                "unguarded": finding is not None,
            },
        )
        return AuditResult(
            event_id=event.event_id,
            role_name=role.name,
            findings=(finding,) if finding else (),
            summary=summary,
        )

    def _publish_observation(
        self, role: RoleRecord, finding: Finding, assumption: ObservedAssumption
    ) -> PublishSummary:
        scope = self.scope()
        stored = self._publisher.find(
            product_arn=scope.product_arn,
            account_id=scope.account_id,
            finding_ids=[_id(scope, role.name, finding)],
        )
        wanted = _Wanted(finding, _observation_fields(assumption))
        # One observation says nothing about the role's other findings: archive none.
        return self._apply(self._plan_role(role.name, role, [wanted], stored, archive_stale=False))

    def scan(self, request: ScanRequest) -> ScanResult:
        absent: list[str] = []
        if request.roles is not None:
            roles: list[RoleRecord] = []
            named: dict[str, str] = {}
            for name in request.roles:
                named.setdefault(role_key(name), name)
            for name in named.values():
                role = self._roles.get_role(name)
                if role is None:
                    absent.append(name)
                else:
                    roles.append(role)
        elif self._inventory is None:
            raise ValueError("a full scan needs a role inventory")
        else:
            roles = list(self._inventory.iter_roles())
        audits = tuple(self.audit(role) for role in roles)
        logger.info(
            "roles audited",
            extra={"roles": len(audits), "absent": len(absent), "dry_run": request.dry_run},
        )
        if request.dry_run:
            return ScanResult(audits=audits, dry_run=True)
        summary = self.publish_scan(audits, full_scan=request.roles is None, absent_roles=absent)
        return ScanResult(audits=audits, dry_run=False, summary=summary)

    def publish_scan(
        self, audits: Sequence[RoleAudit], *, full_scan: bool, absent_roles: Iterable[str] = ()
    ) -> PublishSummary:
        """Upsert the audits' findings and archive the stale ones: of every role of the
        account when `full_scan` (roles not in `audits` are gone), else only of the audited
        roles and of `absent_roles` (named roles that no longer exist)."""
        account_id = self.scope().account_id
        foreign = sorted({a.role.account_id for a in audits} - {account_id})
        if foreign:
            raise AccountMismatchError(
                f"roles of account(s) {', '.join(foreign)} cannot be published"
                f" from account {account_id}"
            )
        entries: list[tuple[str, RoleAudit | None]] = [(a.role.name, a) for a in audits]
        entries += [(name, None) for name in absent_roles]
        return self._publish(entries, full_scan=full_scan)

    def _publish(
        self, entries: Sequence[tuple[str, RoleAudit | None]], *, full_scan: bool
    ) -> PublishSummary:
        scope = self.scope()
        # By role_key: an event may spell a role name in another case than IAM does.
        audited = {role_key(name): (name, audit) for name, audit in entries}
        stored: dict[str, list[dict[str, Any]]] = defaultdict(list)
        if full_scan:
            for finding in self._publisher.find(
                product_arn=scope.product_arn, account_id=scope.account_id
            ):
                key = role_key_of(str(finding.get("Id", "")), scope.account_id)
                if key is not None:
                    stored[key].append(finding)
        else:
            for key, (name, _) in audited.items():
                stored[key] = self._publisher.find(
                    product_arn=scope.product_arn, account_id=scope.account_id, role_name=name
                )
        plan = _Plan()
        for key in dict.fromkeys([*audited, *stored]):
            name, audit = audited.get(key, (key, None))
            role = audit.role if audit else None
            wanted = [_Wanted(f) for f in audit.findings] if audit else []
            if role is not None:
                wanted += self._observations_still_valid(role, stored[key], wanted)
            role_plan = self._plan_role(name, role, wanted, stored[key], archive_stale=True)
            plan.imports += role_plan.imports
            plan.archives += role_plan.archives
            plan.workflow += role_plan.workflow
        return self._apply(plan)

    def _observations_still_valid(
        self, role: RoleRecord, stored: Sequence[Mapping[str, Any]], wanted: Sequence[_Wanted]
    ) -> list[_Wanted]:
        """Observed-assumption findings come from events, not from the policy: keep an active
        one while the trust still lacks a guard for that caller account."""
        scope = self.scope()
        wanted_ids = {_id(scope, role.name, w.finding) for w in wanted}
        kept: list[_Wanted] = []
        for stored_finding in stored:
            if (
                stored_finding.get("GeneratorId") != _OBSERVED_GENERATOR
                or stored_finding.get("RecordState") != "ACTIVE"
                or stored_finding.get("Id") in wanted_ids
            ):
                continue
            fields = own_product_fields(stored_finding)
            caller = fields.get(FIELD_CALLER_ACCOUNT)
            if caller is None:
                continue  # cannot be re-checked: archived as stale
            assumption = ObservedAssumption(
                role_arn=role.arn,
                caller_account_id=caller,
                external_id_present=False,
                event_id=fields.get(FIELD_EVENT_ID, ""),
                event_time=fields.get(FIELD_EVENT_TIME, ""),
                source_ip=fields.get(FIELD_SOURCE_IP),
            )
            finding = observed_assumption_finding(
                assumption, role.trust_policy, self.org().trust_context(role)
            )
            if finding is not None:
                kept.append(_Wanted(finding, _observation_fields(assumption)))
        return kept

    def _plan_role(
        self,
        role_name: str,
        role: RoleRecord | None,
        wanted: Sequence[_Wanted],
        stored: Sequence[Mapping[str, Any]],
        *,
        archive_stale: bool,
    ) -> _Plan:
        """Imports of the `wanted` findings of `role` (None: the role is gone and wants none),
        their workflow changes and, with `archive_stale`, the archiving of the rest."""
        scope = self.scope()
        now = self._clock()
        stored_by_id = {str(f.get("Id")): f for f in stored}
        plan = _Plan()
        wanted_ids: set[str] = set()
        if role is not None:
            for item in wanted:
                fid = _id(scope, role.name, item.finding)
                wanted_ids.add(fid)
                previous = stored_by_id.get(fid, {})
                asff, change = self._upsert(role, item, previous, fid, now)
                plan.imports.append(asff)
                if change is not None:
                    plan.workflow.append(change)
        if archive_stale:
            plan.archives = [
                archived(f, updated_at=next_updated_at(now, f.get("UpdatedAt")))
                for fid, f in stored_by_id.items()
                if fid not in wanted_ids and f.get("RecordState") == "ACTIVE"
            ]
        if plan.archives:
            logger.info(
                "findings archived", extra={"role_name": role_name, "count": len(plan.archives)}
            )
        return plan

    def _upsert(
        self,
        role: RoleRecord,
        item: _Wanted,
        previous: Mapping[str, Any],
        fid: str,
        now: datetime,
    ) -> tuple[dict[str, Any], WorkflowChange | None]:
        """The import of one wanted finding (`previous`: as stored, or empty) and the workflow
        change it needs."""
        scope = self.scope()
        exemption = role.exemption_reason
        change = _workflow_change(exemption, previous, fid, scope.product_arn)
        asff = to_asff(
            item.finding,
            role,
            scope=scope,
            created_at=parse_timestamp(previous.get("CreatedAt")) or now,
            updated_at=next_updated_at(now, previous.get("UpdatedAt")),
            extra_fields=item.fields,
            # Alert once, when the finding opens for the customer (an un-suppression is the
            # only change a role without exemption gets); never for an exempt role.
            alert=exemption is None and (import_reopens(previous) or change is not None),
        )
        return asff, change

    def _apply(self, plan: _Plan) -> PublishSummary:
        # Import first: a workflow update needs the finding to exist.
        if plan.imports or plan.archives:
            self._publisher.import_findings([*plan.imports, *plan.archives])
        if plan.workflow:
            self._publisher.update_workflow(plan.workflow)
        return PublishSummary(
            imported=len(plan.imports),
            archived=len(plan.archives),
            suppressed=sum(change.status == "SUPPRESSED" for change in plan.workflow),
            unsuppressed=sum(change.status != "SUPPRESSED" for change in plan.workflow),
        )

    def _cached_role(self, name: str) -> RoleRecord | None:
        """GetRole at most once per role and TTL: a burst of assumptions is one read."""
        cached = self._role_cache.get(role_key(name))
        if cached is not None:
            return cached[0]
        role = self._roles.get_role(name)
        self._role_cache.put(role_key(name), role)
        return role

    def _check_account(self, account_id: str) -> None:
        own = self.scope().account_id
        if account_id != own:
            raise InvalidEventError(
                f"the event concerns account {account_id}; this function audits {own}"
            )

    @staticmethod
    def _skip(event_id: str, role_name: str | None, reason: str) -> AuditResult:
        logger.info("event skipped", extra={"reason": reason, "role_name": role_name})
        return AuditResult(event_id=event_id, role_name=role_name, skipped=reason)


def _id(scope: FindingScope, role_name: str, finding: Finding) -> str:
    return finding_id(scope.account_id, role_name, finding.rule, finding.principal)


def _observation_fields(assumption: ObservedAssumption) -> dict[str, str]:
    fields = {
        FIELD_CALLER_ACCOUNT: assumption.caller_account_id,
        FIELD_EVENT_ID: assumption.event_id,
        FIELD_EVENT_TIME: assumption.event_time,
        FIELD_SOURCE_IP: assumption.source_ip or "",
    }
    return {key: value for key, value in fields.items() if value}


def _status_after_import(previous: Mapping[str, Any]) -> str:
    """The workflow status the finding has after this import. A new finding is NEW; Security
    Hub keeps the status across imports, except that it resets NOTIFIED and RESOLVED (not
    SUPPRESSED) to NEW when the finding comes back from ARCHIVED or PASSED."""
    status = str((previous.get("Workflow") or {}).get("Status") or "NEW")
    if status in ("NOTIFIED", "RESOLVED") and import_reopens(previous):
        return "NEW"
    return status


def _suppressed_by_us(note: Mapping[str, Any]) -> bool:
    """The last Note is this product's suppression note (an un-suppression note is ours too,
    but a suppression made after it, without a Note, is the customer's)."""
    return note.get("UpdatedBy") == NOTE_AUTHOR and str(note.get("Text", "")).startswith(
        _SUPPRESS_NOTE_PREFIX
    )


def _workflow_change(
    exemption: str | None, previous: Mapping[str, Any], fid: str, product_arn: str
) -> WorkflowChange | None:
    """Suppress the findings of an exempt role; un-suppress only what this product suppressed
    (a customer's own suppression stays)."""
    status = _status_after_import(previous)
    note = previous.get("Note") or {}
    ours = status == "SUPPRESSED" and _suppressed_by_us(note)
    if exemption is not None:
        text = sanitize(f"{_SUPPRESS_NOTE_PREFIX} role tag {EXEMPT_TAG} = {exemption}", NOTE_MAX)
        if status != "SUPPRESSED" or (ours and note.get("Text") != text):
            return WorkflowChange(fid, product_arn, "SUPPRESSED", text)
        return None
    if ours:
        return WorkflowChange(fid, product_arn, "NEW", _UNSUPPRESS_NOTE)
    return None

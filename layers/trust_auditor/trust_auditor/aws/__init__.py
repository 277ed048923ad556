"""AWS adapters (the only code importing boto3) and the functions' composition root."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from trust_auditor.asff import FindingScope
from trust_auditor.audit import Auditor, AuditResult, OrgContext, ScanResult
from trust_auditor.aws.clients import AwsClients
from trust_auditor.aws.iam import IamRoleInventory, IamRoleReader
from trust_auditor.aws.organizations import OrganizationReader
from trust_auditor.aws.securityhub import PublishError, SecurityHubPublisher
from trust_auditor.aws.sts import StsIdentityReader
from trust_auditor.settings import Settings

__all__ = [
    "AwsClients",
    "PublishError",
    "build_auditor",
    "count_outcome",
    "required_actions",
]

_EVENT_ADAPTERS = (IamRoleReader, SecurityHubPublisher, StsIdentityReader, OrganizationReader)
_SCAN_ADAPTERS = (*_EVENT_ADAPTERS, IamRoleInventory)


class MetricsSink(Protocol):
    def add_metric(self, name: str, unit: str, value: float) -> None: ...


def required_actions(*, full_scan: bool = False) -> frozenset[str]:
    """The IAM actions of the adapters `build_auditor` wires (the template must grant them)."""
    adapters = _SCAN_ADAPTERS if full_scan else _EVENT_ADAPTERS
    return frozenset().union(*(adapter.PERMISSIONS for adapter in adapters))


def build_auditor(settings: Settings, clients: AwsClients, *, full_scan: bool = False) -> Auditor:
    """An Auditor on these clients. Nothing is called here: the caller identity and the
    organization are looked up on first use, once per instance."""
    identity = StsIdentityReader(clients.sts)
    organization = OrganizationReader(clients.organizations)

    def scope() -> FindingScope:
        caller = identity.caller()
        return FindingScope(caller.account_id, caller.partition, settings.home_region)

    return Auditor(
        roles=IamRoleReader(clients.iam),
        publisher=SecurityHubPublisher(
            clients.securityhub,
            max_attempts=settings.publish_max_attempts,
            base_delay=settings.publish_retry_base_seconds,
            deadline_seconds=settings.publish_deadline_seconds,
        ),
        scope=scope,
        org_context=lambda: org_context(settings, organization),
        inventory=IamRoleInventory(clients.iam) if full_scan else None,
        assumption_cache_seconds=settings.assumption_cache_seconds,
    )


def org_context(settings: Settings, organization: OrganizationReader) -> OrgContext:
    """The settings' org id and accounts; AWS Organizations fills in what they leave out."""
    org_id = settings.org_id
    account_ids = frozenset(settings.org_account_ids)
    if settings.needs_organization_lookup:
        found = organization.describe()
        org_id = org_id or found.org_id
        account_ids = account_ids or found.account_ids
    return OrgContext(
        org_id=org_id,
        org_account_ids=account_ids,
        trusted_account_ids=frozenset(settings.trusted_account_ids),
    )


def count_outcome[ResultT: (AuditResult, ScanResult)](
    metrics: MetricsSink, action: Callable[[], ResultT]
) -> ResultT:
    """Run a use case and record its metrics, failed writes included (then re-raised)."""
    try:
        result = action()
    except PublishError as error:
        metrics.add_metric(name="FindingsFailed", unit="Count", value=len(error.failed_ids))
        raise
    for name, value in result.metric_counts().items():
        metrics.add_metric(name=name, unit="Count", value=value)
    return result

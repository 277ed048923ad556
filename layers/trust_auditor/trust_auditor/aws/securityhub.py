"""Security Hub (CSPM, ASFF): read this product's findings, import them, set their workflow.

Writes are retried with exponential backoff and full jitter: throttling errors and the
findings a call reports in FailedFindings / UnprocessedFindings (a partial failure is not an
exception). What still fails after the last attempt raises PublishError naming the finding
ids, so Lambda retries the event and finally dead-letters it: nothing is dropped silently.
"""

from __future__ import annotations

import logging
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from botocore.exceptions import ClientError

from trust_auditor.asff import (
    GENERATOR_PREFIX,
    NOTE_AUTHOR,
    WorkflowChange,
    WorkflowStatus,
    role_id_prefix,
)

if TYPE_CHECKING:
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_securityhub.type_defs import AwsSecurityFindingFiltersTypeDef

logger = logging.getLogger(__name__)

BATCH_SIZE = 100  # the most findings BatchImportFindings / BatchUpdateFindings accept
_PAGE_SIZE = 100
_RETRYABLE_CODES = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "LimitExceededException",  # Security Hub's answer when the call rate is exceeded
        "InternalException",
        "ServiceUnavailable",
    }
)
_SHOWN_FAILURES = 20
_REASON_MAX = 160


class PublishError(Exception):
    """Findings that could not be written after every attempt."""

    def __init__(self, action: str, failures: Mapping[str, str]) -> None:
        self.action = action
        self.failures = dict(failures)
        shown = ", ".join(
            f"{fid} ({why[:_REASON_MAX]})"
            for fid, why in list(self.failures.items())[:_SHOWN_FAILURES]
        )
        more = len(self.failures) - _SHOWN_FAILURES
        super().__init__(
            f"{action} failed for {len(self.failures)} finding(s): {shown}"
            + (f" and {more} more" if more > 0 else "")
        )

    @property
    def failed_ids(self) -> tuple[str, ...]:
        return tuple(self.failures)


class SecurityHubPublisher:
    PERMISSIONS: ClassVar[frozenset[str]] = frozenset(
        {
            "securityhub:GetFindings",
            "securityhub:BatchImportFindings",
            "securityhub:BatchUpdateFindings",
        }
    )

    def __init__(
        self,
        client: SecurityHubClient,
        *,
        max_attempts: int = 6,
        base_delay: float = 0.5,
        max_delay: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._client = client
        self._max_attempts = max_attempts
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._sleep = sleep
        self._jitter = jitter

    def find(
        self,
        *,
        product_arn: str,
        account_id: str,
        role_name: str | None = None,
        active_only: bool = False,
    ) -> list[dict[str, Any]]:
        """This product's findings in the account (or of one role), archived ones included
        unless `active_only`: their CreatedAt/UpdatedAt matter when a finding comes back."""
        filters: AwsSecurityFindingFiltersTypeDef = {
            "ProductArn": [{"Value": product_arn, "Comparison": "EQUALS"}],
            "AwsAccountId": [{"Value": account_id, "Comparison": "EQUALS"}],
            # The default product ARN is shared with other custom integrations.
            "GeneratorId": [{"Value": GENERATOR_PREFIX, "Comparison": "PREFIX"}],
        }
        if role_name is not None:
            filters["Id"] = [
                {"Value": role_id_prefix(account_id, role_name), "Comparison": "PREFIX"}
            ]
        if active_only:
            filters["RecordState"] = [{"Value": "ACTIVE", "Comparison": "EQUALS"}]
        findings: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            if token:
                page = self._client.get_findings(
                    Filters=filters, MaxResults=_PAGE_SIZE, NextToken=token
                )
            else:
                page = self._client.get_findings(Filters=filters, MaxResults=_PAGE_SIZE)
            findings.extend(dict(finding) for finding in page.get("Findings", []))
            token = page.get("NextToken")
            if not token:
                return findings

    def import_findings(self, findings: Sequence[Mapping[str, Any]]) -> int:
        """BatchImportFindings in batches; returns how many were imported."""
        by_id = {str(finding["Id"]): finding for finding in findings}
        self._write("BatchImportFindings", list(by_id), partial(self._send_import, by_id))
        return len(by_id)

    def update_workflow(self, changes: Iterable[WorkflowChange]) -> int:
        """BatchUpdateFindings, one call per (status, note) group and batch."""
        groups: dict[tuple[WorkflowStatus, str], dict[str, str]] = defaultdict(dict)
        for change in changes:
            groups[(change.status, change.note)][change.finding_id] = change.product_arn
        for (status, note), product_arns in groups.items():
            send = partial(self._send_update, status, note, product_arns)
            self._write("BatchUpdateFindings", list(product_arns), send)
        return sum(len(product_arns) for product_arns in groups.values())

    def _send_import(
        self, by_id: Mapping[str, Mapping[str, Any]], batch: list[str]
    ) -> dict[str, str]:
        response = self._client.batch_import_findings(
            Findings=[by_id[fid] for fid in batch]  # type: ignore[misc]
        )
        return {
            failed["Id"]: f"{failed.get('ErrorCode', '?')}: {failed.get('ErrorMessage', '')}"
            for failed in response.get("FailedFindings", [])
        }

    def _send_update(
        self,
        status: WorkflowStatus,
        note: str,
        product_arns: Mapping[str, str],
        batch: list[str],
    ) -> dict[str, str]:
        response = self._client.batch_update_findings(
            FindingIdentifiers=[{"Id": fid, "ProductArn": product_arns[fid]} for fid in batch],
            Workflow={"Status": status},
            Note={"Text": note, "UpdatedBy": NOTE_AUTHOR},
        )
        return {
            failed["FindingIdentifier"]["Id"]: str(failed.get("ErrorCode", "?"))
            for failed in response.get("UnprocessedFindings", [])
        }

    def _write(
        self, action: str, ids: list[str], send: Callable[[list[str]], dict[str, str]]
    ) -> None:
        pending = ids
        failures: dict[str, str] = {}
        for attempt in range(self._max_attempts):
            if attempt:
                self._backoff(action, attempt, len(pending))
            failures = {}
            for start in range(0, len(pending), BATCH_SIZE):
                batch = pending[start : start + BATCH_SIZE]
                try:
                    failures.update(send(batch))
                except ClientError as error:
                    code = str(error.response.get("Error", {}).get("Code", ""))
                    if code not in _RETRYABLE_CODES:
                        raise PublishError(action, dict.fromkeys(batch, code)) from error
                    failures.update(dict.fromkeys(batch, code))
            pending = [fid for fid in pending if fid in failures]
            if not pending:
                return
        raise PublishError(action, failures)

    def _backoff(self, action: str, attempt: int, pending: int) -> None:
        delay = self._jitter() * min(self._max_delay, self._base_delay * 2 ** (attempt - 1))
        logger.warning(
            "retrying security hub write",
            extra={"action": action, "attempt": attempt + 1, "pending": pending},
        )
        self._sleep(delay)

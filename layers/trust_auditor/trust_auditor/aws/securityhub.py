"""Security Hub (CSPM, ASFF): read this product's findings, import them, set their workflow.

This publisher owns every retry of a Security Hub call: the client is built without botocore
retries (aws/clients.py), so attempts and waiting are bounded in one place.
- Retried: a call failing as a whole with a throttling or transient error (or a network
  error), and each finding a call reports in FailedFindings / UnprocessedFindings with a
  transient ErrorCode (a partial failure is not an exception).
- Not retried: a finding rejected for what it is (InvalidInput, AccessDenied, ...), or a call
  rejected as a whole for a non-transient reason. A finding ErrorCode known neither way
  (undocumented for BatchImportFindings) is retried at most twice.
- Retries wait an exponential backoff with full jitter, for at most `max_attempts` attempts,
  and none starts once `deadline_seconds` have passed since the operation's first retry.
What still fails raises PublishError naming the finding ids, so Lambda retries the event and
finally dead-letters it: nothing is dropped silently.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as EndpointConnectionFailure

from trust_auditor.asff import (
    GENERATOR_PREFIX,
    NOTE_AUTHOR,
    WorkflowChange,
    WorkflowStatus,
    role_id_prefix,
)

if TYPE_CHECKING:
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_securityhub.type_defs import (
        AwsSecurityFindingFiltersTypeDef,
        GetFindingsResponseTypeDef,
        StringFilterTypeDef,
    )

logger = logging.getLogger(__name__)

BATCH_SIZE = 100  # the most findings BatchImportFindings / BatchUpdateFindings accept
_PAGE_SIZE = 100
# Error codes worth another attempt, of a whole call (ClientError) or of one finding
# (FailedFindings / UnprocessedFindings): throttling and service-side failures.
_TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "TooManyRequestsException",
        "LimitExceededException",  # Security Hub's answer when the call rate is exceeded
        "InternalException",
        "InternalFailure",
        "ServiceUnavailable",
        "ConcurrentUpdateError",  # BatchUpdateFindings racing another update of the finding
    }
)
# Finding error codes that the same request can only get again. FindingNotFound is not one:
# a workflow update right after the import may not see the new finding yet.
_PERMANENT_FINDING_CODES = frozenset(
    {
        "InvalidInput",
        "AccessDenied",
        "AccessDeniedException",
        "FindingSizeExceeded",
        "DuplicatedFindingIdentifier",
    }
)
_UNKNOWN_CODE_RETRIES = 2
# Network failures of a call (timeouts, resets): the writes are idempotent, so safe to resend.
_NETWORK_ERRORS = (EndpointConnectionFailure, HTTPClientError)
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


@dataclass(frozen=True, slots=True)
class _Failure:
    """Why one finding was not written, and whether sending it again may help (None: unknown)."""

    reason: str
    transient: bool | None

    @classmethod
    def of_code(cls, code: str, message: str = "") -> _Failure:
        transient: bool | None = None
        if code in _TRANSIENT_CODES:
            transient = True
        elif code in _PERMANENT_FINDING_CODES:
            transient = False
        return cls(f"{code}: {message}" if message else code, transient)


@dataclass(frozen=True, slots=True)
class _RetryPolicy:
    max_attempts: int
    base_delay: float
    max_delay: float
    deadline_seconds: float
    sleep: Callable[[float], None]
    jitter: Callable[[], float]
    clock: Callable[[], float]


class _Attempts:
    """The attempts of one operation: the first at once, each retry after a backoff, while the
    attempts and the time budget (counted from the first retry) last."""

    def __init__(self, policy: _RetryPolicy, action: str) -> None:
        self._policy = policy
        self._action = action
        self._made = 1
        self._deadline: float | None = None

    def retry(self, pending: int) -> bool:
        """Wait before the next attempt; False when no attempt is left to make."""
        policy = self._policy
        if self._made >= policy.max_attempts:
            return False
        delay = policy.jitter() * min(policy.max_delay, policy.base_delay * 2 ** (self._made - 1))
        now = policy.clock()
        if self._deadline is None:
            self._deadline = now + policy.deadline_seconds
        extra = {"action": self._action, "attempt": self._made + 1, "pending": pending}
        if now + delay > self._deadline:
            logger.warning("security hub retry budget spent", extra=extra)
            return False
        logger.warning("retrying security hub call", extra=extra)
        policy.sleep(delay)
        self._made += 1
        return True


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
        deadline_seconds: float = 20.0,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._client = client
        self._retry = _RetryPolicy(
            max_attempts, base_delay, max_delay, deadline_seconds, sleep, jitter, clock
        )

    def find(
        self,
        *,
        product_arn: str,
        account_id: str,
        role_name: str | None = None,
        finding_ids: Sequence[str] | None = None,
        rules: Sequence[str] = (),
        severities: Sequence[str] = (),
        workflow_statuses: Sequence[str] = (),
        record_state: str | None = None,
    ) -> list[dict[str, Any]]:
        """This product's findings in the account (or of one role, or those of `finding_ids`),
        filtered by Security Hub itself: of any of `rules`, `severities` (labels) and
        `workflow_statuses` when given, and only in `record_state` when given (archived ones
        are included by default: their CreatedAt/UpdatedAt matter when a finding comes back)."""
        if role_name is not None and finding_ids is not None:
            raise ValueError("find by role_name or by finding_ids, not both")
        if finding_ids is not None and not finding_ids:
            return []
        filters: AwsSecurityFindingFiltersTypeDef = {
            "ProductArn": _equal_to_any([product_arn]),
            "AwsAccountId": _equal_to_any([account_id]),
            # The default product ARN is shared with other custom integrations: the generator
            # tells this product's findings apart.
            "GeneratorId": (
                _equal_to_any([GENERATOR_PREFIX + rule for rule in rules])
                if rules
                else [{"Value": GENERATOR_PREFIX, "Comparison": "PREFIX"}]
            ),
        }
        if finding_ids is not None:
            filters["Id"] = _equal_to_any(finding_ids)
        if role_name is not None:
            filters["Id"] = [
                {"Value": role_id_prefix(account_id, role_name), "Comparison": "PREFIX"}
            ]
        if severities:
            filters["SeverityLabel"] = _equal_to_any(severities)
        if workflow_statuses:
            filters["WorkflowStatus"] = _equal_to_any(workflow_statuses)
        if record_state is not None:
            filters["RecordState"] = _equal_to_any([record_state])
        findings: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            if token:
                page = self._read(
                    partial(
                        self._client.get_findings,
                        Filters=filters,
                        MaxResults=_PAGE_SIZE,
                        NextToken=token,
                    )
                )
            else:
                page = self._read(
                    partial(self._client.get_findings, Filters=filters, MaxResults=_PAGE_SIZE)
                )
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
    ) -> dict[str, _Failure]:
        response = self._client.batch_import_findings(
            Findings=[by_id[fid] for fid in batch]  # type: ignore[misc]
        )
        return {
            failed["Id"]: _Failure.of_code(
                str(failed.get("ErrorCode", "?")), str(failed.get("ErrorMessage", ""))
            )
            for failed in response.get("FailedFindings", [])
        }

    def _send_update(
        self,
        status: WorkflowStatus,
        note: str,
        product_arns: Mapping[str, str],
        batch: list[str],
    ) -> dict[str, _Failure]:
        response = self._client.batch_update_findings(
            FindingIdentifiers=[{"Id": fid, "ProductArn": product_arns[fid]} for fid in batch],
            Workflow={"Status": status},
            Note={"Text": note, "UpdatedBy": NOTE_AUTHOR},
        )
        return {
            failed["FindingIdentifier"]["Id"]: _Failure.of_code(str(failed.get("ErrorCode", "?")))
            for failed in response.get("UnprocessedFindings", [])
        }

    def _read(self, call: Callable[[], GetFindingsResponseTypeDef]) -> GetFindingsResponseTypeDef:
        attempts = _Attempts(self._retry, "GetFindings")
        while True:
            try:
                return call()
            except (ClientError, *_NETWORK_ERRORS) as error:
                if not _is_transient(error) or not attempts.retry(pending=1):
                    raise

    def _write(
        self, action: str, ids: list[str], send: Callable[[list[str]], dict[str, _Failure]]
    ) -> None:
        attempts = _Attempts(self._retry, action)
        given_up: dict[str, _Failure] = {}
        unknown_code_failures: Counter[str] = Counter()
        pending = ids
        while True:
            failed = self._send_batches(action, pending, send)
            retry = []
            for fid in pending:
                failure = failed.get(fid)
                if failure is None:
                    continue
                if failure.transient is None:
                    unknown_code_failures[fid] += 1
                if failure.transient is False or unknown_code_failures[fid] > _UNKNOWN_CODE_RETRIES:
                    given_up[fid] = failure
                else:
                    retry.append(fid)
            pending = retry
            if not pending or not attempts.retry(len(pending)):
                break
        unwritten = {**given_up, **{fid: failed[fid] for fid in pending}}
        if unwritten:
            raise PublishError(
                action, {fid: unwritten[fid].reason for fid in ids if fid in unwritten}
            )

    def _send_batches(
        self, action: str, ids: list[str], send: Callable[[list[str]], dict[str, _Failure]]
    ) -> dict[str, _Failure]:
        failed: dict[str, _Failure] = {}
        for start in range(0, len(ids), BATCH_SIZE):
            batch = ids[start : start + BATCH_SIZE]
            try:
                failed.update(send(batch))
            except (ClientError, *_NETWORK_ERRORS) as error:
                why = _error_code(error)
                if not _is_transient(error):
                    raise PublishError(action, dict.fromkeys(batch, why)) from error
                failed.update(dict.fromkeys(batch, _Failure(why, transient=True)))
        return failed


def _equal_to_any(values: Iterable[str]) -> list[StringFilterTypeDef]:
    """A finding matches a field's EQUALS filters when it equals any of them (repeats dropped:
    Security Hub takes at most 20 values per field)."""
    return [{"Value": value, "Comparison": "EQUALS"} for value in dict.fromkeys(values)]


def _error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "")) or "ClientError"
    return type(error).__name__


def _is_transient(error: Exception) -> bool:
    """A network error, or a whole call refused for throttling or by a server-side failure."""
    if not isinstance(error, ClientError):
        return True
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    return _error_code(error) in _TRANSIENT_CODES or status >= 500

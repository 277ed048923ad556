"""ScanFunction: audits every role of the account (or the roles named in the event), upserts
the findings, archives stale ones and keeps open ones alive. `{"dry_run": true}` writes nothing."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from trust_auditor.aws import count_outcome
from trust_auditor.aws.function_runtime import function_runtime
from trust_auditor.events import parse_scan_request

RUNTIME = function_runtime(full_scan=True)
REQUIRED_ACTIONS, CLIENTS, AUDITOR = RUNTIME.required_actions, RUNTIME.clients, RUNTIME.auditor


@RUNTIME.logger.inject_lambda_context(correlation_id_path="id")
@RUNTIME.metrics.log_metrics
# A dry run returns findings with corrected policies: keep them out of the trace.
@RUNTIME.tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_scan_request(event)
    return count_outcome(RUNTIME.metrics, lambda: AUDITOR.scan(request)).to_dict()

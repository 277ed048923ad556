"""RoleChangeFunction: iam CreateRole / UpdateAssumeRolePolicy / DeleteRole (via EventBridge).
Re-reads the role, upserts its findings and archives those that no longer apply."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from trust_auditor.aws import count_outcome
from trust_auditor.aws.function_runtime import function_runtime
from trust_auditor.events import parse_role_change_event

RUNTIME = function_runtime()
REQUIRED_ACTIONS, CLIENTS, AUDITOR = RUNTIME.required_actions, RUNTIME.clients, RUNTIME.auditor


@RUNTIME.logger.inject_lambda_context(correlation_id_path="id")
@RUNTIME.metrics.log_metrics
@RUNTIME.tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    change = parse_role_change_event(event)
    return count_outcome(RUNTIME.metrics, lambda: AUDITOR.on_role_change(change)).to_dict()

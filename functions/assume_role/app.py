"""AssumeRoleFunction: cross-account sts AssumeRole (via EventBridge). Reports an assumption
made without externalId on a role whose trust has no effective guard for the caller."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from trust_auditor.aws import AwsClients, build_auditor, count_outcome, required_actions
from trust_auditor.events import parse_assume_role_event
from trust_auditor.settings import Settings

REQUIRED_ACTIONS = required_actions()

logger = Logger()
# The core logs with the standard library: give its records this logger's JSON and correlation id.
copy_config_to_registered_loggers(source_logger=logger, include={"trust_auditor"})
metrics = Metrics(namespace="TrustAuditor")
tracer = Tracer()
SETTINGS = Settings.from_environ()
CLIENTS = AwsClients.create(SETTINGS.home_region)
AUDITOR = build_auditor(SETTINGS, CLIENTS)


@logger.inject_lambda_context(correlation_id_path="id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    assumption = parse_assume_role_event(event)
    return count_outcome(metrics, lambda: AUDITOR.on_assume_role(assumption)).to_dict()

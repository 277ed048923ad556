"""ScanFunction: audits every role of the account (or the roles named in the event), upserts
the findings, archives stale ones and keeps open ones alive. `{"dry_run": true}` writes nothing."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.typing import LambdaContext

from trust_auditor.aws import AwsClients, build_auditor, count_outcome, required_actions
from trust_auditor.events import parse_scan_request
from trust_auditor.settings import Settings

REQUIRED_ACTIONS = required_actions(full_scan=True)

logger = Logger()
# The core logs with the standard library: give its records this logger's JSON and correlation id.
copy_config_to_registered_loggers(source_logger=logger, include={"trust_auditor"})
metrics = Metrics(namespace="TrustAuditor")
tracer = Tracer()
SETTINGS = Settings.from_environ()
CLIENTS = AwsClients.create(SETTINGS.home_region)
AUDITOR = build_auditor(SETTINGS, CLIENTS, full_scan=True)


@logger.inject_lambda_context(correlation_id_path="id")
@metrics.log_metrics
# A dry run returns findings with corrected policies: keep them out of the trace.
@tracer.capture_lambda_handler(capture_response=False)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_scan_request(event)
    return count_outcome(metrics, lambda: AUDITOR.scan(request)).to_dict()

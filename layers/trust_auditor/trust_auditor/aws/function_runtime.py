"""What each Lambda function builds once, on a cold start: Powertools' logger, metrics and
tracer, the AWS clients and the Auditor wired on them (only the handlers import this module:
it brings in Powertools)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers

from trust_auditor.audit import Auditor
from trust_auditor.aws import AwsClients, build_auditor, required_actions
from trust_auditor.settings import Settings

METRICS_NAMESPACE = "TrustAuditor"


@dataclass(frozen=True, slots=True)
class FunctionRuntime:
    logger: Logger
    metrics: Metrics
    tracer: Tracer
    clients: AwsClients
    auditor: Auditor
    required_actions: frozenset[str]  # the IAM actions the template must grant the function


def function_runtime(*, full_scan: bool = False) -> FunctionRuntime:
    """The runtime of an event function, or of the scan function with `full_scan`. Settings
    come from the environment; no AWS call is made here."""
    logger = Logger()
    # The core logs with the standard library: give its records this logger's JSON and
    # correlation id.
    copy_config_to_registered_loggers(source_logger=logger, include={"trust_auditor"})
    settings = Settings.from_environ()
    clients = AwsClients.create(settings.home_region)
    return FunctionRuntime(
        logger=logger,
        metrics=Metrics(namespace=METRICS_NAMESPACE),
        tracer=Tracer(),
        clients=clients,
        auditor=build_auditor(settings, clients, full_scan=full_scan),
        required_actions=required_actions(full_scan=full_scan),
    )

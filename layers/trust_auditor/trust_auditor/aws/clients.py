"""The one place that creates boto3 clients (endpoint overrides come from AWS_ENDPOINT_URL,
which boto3 honours natively)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_organizations import OrganizationsClient
    from mypy_boto3_securityhub import SecurityHubClient
    from mypy_boto3_sts import STSClient


def client_config() -> Config:
    """IAM, STS and Organizations: IAM throttles without published limits, so adaptive mode
    adds client-side rate limiting to the retries."""
    return Config(
        retries={"mode": "adaptive", "max_attempts": 8},
        connect_timeout=5,
        read_timeout=30,
        user_agent_extra="trust-auditor",
    )


def securityhub_config() -> Config:
    """Security Hub calls are sent once: SecurityHubPublisher owns their retries (throttling,
    network errors and FailedFindings alike) under one time budget. Retries here as well would
    multiply with its own and could outlast the function timeout. Its calls answer in well
    under a second: a shorter read timeout lets a hung one be retried in time."""
    return client_config().merge(
        Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=10)
    )


@dataclass(frozen=True, slots=True)
class AwsClients:
    iam: IAMClient
    securityhub: SecurityHubClient  # in the home region, wherever the function runs
    sts: STSClient
    organizations: OrganizationsClient

    @classmethod
    def create(cls, home_region: str, session: boto3.Session | None = None) -> AwsClients:
        session = session or boto3.Session()
        config = client_config()
        return cls(
            iam=session.client("iam", config=config),
            securityhub=session.client(
                "securityhub", region_name=home_region, config=securityhub_config()
            ),
            sts=session.client("sts", config=config),
            organizations=session.client("organizations", config=config),
        )

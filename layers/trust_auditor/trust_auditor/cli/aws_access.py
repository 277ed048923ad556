"""AWS access for scan and findings: the session from the normal credential chain, and AWS
failures turned into one-line errors. boto3 is imported here only when a command needs it,
so that check-policy starts without it."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from trust_auditor.cli.errors import CliError

if TYPE_CHECKING:
    from trust_auditor.aws.clients import AwsClients

# IAM is global and its CloudTrail events reach EventBridge only in us-east-1: the default
# home region for Security Hub findings when neither --region nor the profile names one.
DEFAULT_HOME_REGION = "us-east-1"
_NOT_ENABLED = "InvalidAccessException"


def add_aws_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("AWS access (the normal credential chain)")
    group.add_argument("--profile", help="named profile of the AWS config/credentials files")
    group.add_argument(
        "--region",
        help=f"Security Hub home region (default: the profile's, else {DEFAULT_HOME_REGION})",
    )


def aws_clients(args: argparse.Namespace) -> AwsClients:
    """Clients for the profile and home region the command line names."""
    import boto3  # noqa: PLC0415 - only scan/findings need boto3
    from botocore.exceptions import BotoCoreError  # noqa: PLC0415

    from trust_auditor.aws.clients import AwsClients  # noqa: PLC0415

    try:
        session = boto3.Session(profile_name=args.profile, region_name=args.region)
    except BotoCoreError as error:  # e.g. ProfileNotFound
        raise CliError(str(error)) from error
    return AwsClients.create(session.region_name or DEFAULT_HOME_REGION, session)


def home_region(clients: AwsClients) -> str:
    return clients.securityhub.meta.region_name


@contextmanager
def aws_errors(region: str) -> Iterator[None]:
    """Turn what AWS refuses into a one-line CliError the operator can act on."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError  # noqa: PLC0415

    from trust_auditor.aws.securityhub import PublishError  # noqa: PLC0415

    try:
        yield
    except NoCredentialsError as error:
        raise CliError(
            "no AWS credentials found: use --profile, environment variables or an instance role"
        ) from error
    except ClientError as error:
        details = error.response.get("Error", {})
        code, message = details.get("Code", "?"), details.get("Message", "")
        operation = error.operation_name
        if code == _NOT_ENABLED:
            raise CliError(
                f"Security Hub is not enabled in {region} for this account ({operation}): "
                "enable it or pass --region"
            ) from error
        raise CliError(f"{operation} failed: {code}: {message}") from error
    except BotoCoreError as error:
        raise CliError(str(error)) from error
    except PublishError as error:
        raise CliError(str(error)) from error

"""Argument types and the organization options that check-policy and scan share."""

from __future__ import annotations

import argparse
import re
from typing import NoReturn

from trust_auditor.cli.errors import CliError
from trust_auditor.model import ORG_ID_PATTERN, ContextError, RoleArn, TrustContext

_ACCOUNT_ID = re.compile(r"\d{12}")
_ORG_ID = re.compile(ORG_ID_PATTERN)


class ArgumentParser(argparse.ArgumentParser):
    """Report usage errors as CliError: one line on stderr, exit 2, like every input error."""

    def error(self, message: str) -> NoReturn:
        raise CliError(message)


# The sub-command registry each command module adds its parser to.
type Commands = argparse._SubParsersAction[ArgumentParser]


def account_id(value: str) -> str:
    if not _ACCOUNT_ID.fullmatch(value.strip()):
        raise argparse.ArgumentTypeError(f"not a 12-digit account id: {value[:40]!r}")
    return value.strip()


def org_id(value: str) -> str:
    if not _ORG_ID.fullmatch(value.strip()):
        raise argparse.ArgumentTypeError(f"not an organization id (o-...): {value[:40]!r}")
    return value.strip()


def role_arn(value: str) -> str:
    try:
        return RoleArn.parse(value.strip()).arn
    except ContextError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def key_value(value: str) -> tuple[str, str]:
    key, sep, item = value.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {value[:60]!r}")
    return key, item


def add_org_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("organization context")
    group.add_argument("--org-id", metavar="O", type=org_id, help="our organization id (o-...)")
    group.add_argument(
        "--org-account",
        metavar="ID",
        type=account_id,
        action="append",
        default=[],
        dest="org_accounts",
        help="an account of our organization (repeatable)",
    )
    group.add_argument(
        "--trusted-account",
        metavar="ID",
        type=account_id,
        action="append",
        default=[],
        dest="trusted_accounts",
        help="an account declared fully trusted: never reported (repeatable)",
    )


def trust_context(
    args: argparse.Namespace,
    role: str | None,
    *,
    org_id: str | None = None,
    org_account_ids: frozenset[str] = frozenset(),
) -> TrustContext:
    """The evaluation context for `role` from the command line (plus any looked-up org facts)."""
    try:
        return TrustContext(
            role_arn=role,
            org_id=args.org_id or org_id,
            org_account_ids=frozenset(args.org_accounts) | org_account_ids,
            trusted_account_ids=args.trusted_accounts,
        )
    except ContextError as error:
        raise CliError(str(error)) from error

"""Our organization's id and accounts, when this account may read them."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_organizations import OrganizationsClient

logger = logging.getLogger(__name__)

# Not an organization member, or not allowed to read it (ListAccounts works only in the
# management or a delegated administrator account): the answer is "unknown", not an error.
_UNKNOWN_CODES = frozenset({"AccessDeniedException", "AWSOrganizationsNotInUseException"})
# Closed accounts are gone for good; every other State (ACTIVE, SUSPENDED, PENDING_CLOSURE...)
# is still a member of the organization.
_GONE_STATES = frozenset({"CLOSED"})


@dataclass(frozen=True, slots=True)
class OrganizationInfo:
    org_id: str | None
    account_ids: frozenset[str]


class OrganizationReader:
    PERMISSIONS: ClassVar[frozenset[str]] = frozenset(
        {"organizations:DescribeOrganization", "organizations:ListAccounts"}
    )

    def __init__(self, client: OrganizationsClient) -> None:
        self._client = client

    def describe(self) -> OrganizationInfo:
        try:
            org_id: str | None = self._client.describe_organization()["Organization"]["Id"]
        except ClientError as error:
            if _error_code(error) not in _UNKNOWN_CODES:
                raise
            logger.info("organization unknown", extra={"reason": _error_code(error)})
            return OrganizationInfo(org_id=None, account_ids=frozenset())
        return OrganizationInfo(org_id=org_id, account_ids=self._account_ids())

    def _account_ids(self) -> frozenset[str]:
        ids: set[str] = set()
        token: str | None = None
        try:
            while True:
                # Pages may be empty while a NextToken is still returned: follow the token.
                page = (
                    self._client.list_accounts(NextToken=token)
                    if token
                    else self._client.list_accounts()
                )
                ids.update(
                    account["Id"]
                    for account in page.get("Accounts", [])
                    if account.get("State") not in _GONE_STATES
                )
                token = page.get("NextToken")
                if not token:
                    return frozenset(ids)
        except ClientError as error:
            if _error_code(error) not in _UNKNOWN_CODES:
                raise
            logger.info("organization accounts unknown", extra={"reason": _error_code(error)})
            return frozenset()


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))

"""IAM roles, re-read from IAM (events only trigger the audit)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, ClassVar

from trust_auditor.roles import RoleRecord, role_from_iam, roles_from_authorization_details

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

_PAGE_SIZE = 1000


class IamRoleReader:
    """One role by name (the event functions)."""

    PERMISSIONS: ClassVar[frozenset[str]] = frozenset({"iam:GetRole"})

    def __init__(self, client: IAMClient) -> None:
        self._client = client

    def get_role(self, name: str) -> RoleRecord | None:
        """The role, or None when it does not exist (any more)."""
        try:
            response = self._client.get_role(RoleName=name)
        except self._client.exceptions.NoSuchEntityException:
            return None
        return role_from_iam(response["Role"])


class IamRoleInventory:
    """Every role of the account with trust policy and tags, in one paginated call."""

    PERMISSIONS: ClassVar[frozenset[str]] = frozenset({"iam:GetAccountAuthorizationDetails"})

    def __init__(self, client: IAMClient) -> None:
        self._client = client

    def iter_roles(self) -> Iterator[RoleRecord]:
        marker: str | None = None
        while True:
            if marker:
                page = self._client.get_account_authorization_details(
                    Filter=["Role"], MaxItems=_PAGE_SIZE, Marker=marker
                )
            else:
                page = self._client.get_account_authorization_details(
                    Filter=["Role"], MaxItems=_PAGE_SIZE
                )
            yield from roles_from_authorization_details(page)
            if not page.get("IsTruncated"):
                return
            marker = page.get("Marker")
            if not marker:
                raise RuntimeError("IAM reported a truncated page without a Marker")

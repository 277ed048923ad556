"""Who the functions run as: the account (and partition) findings are imported for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from mypy_boto3_sts import STSClient


@dataclass(frozen=True, slots=True)
class CallerIdentity:
    account_id: str
    partition: str


class StsIdentityReader:
    # GetCallerIdentity needs no grant; it is declared so the contract test sees every call.
    PERMISSIONS: ClassVar[frozenset[str]] = frozenset({"sts:GetCallerIdentity"})

    def __init__(self, client: STSClient) -> None:
        self._client = client

    def caller(self) -> CallerIdentity:
        response = self._client.get_caller_identity()
        return CallerIdentity(
            account_id=response["Account"], partition=response["Arn"].split(":", 2)[1]
        )

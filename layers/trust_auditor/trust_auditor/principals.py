"""Principal kinds, the STS action each can call, and accounts against the org context."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from trust_auditor.model import TrustContext
from trust_auditor.policy import UNIQUE_ID, PrincipalEntry


class Kind(enum.StrEnum):
    ANYONE = "anyone"
    ACCOUNT = "account"
    DELETED = "deleted"
    SERVICE = "service"
    WEB_IDENTITY = "web-identity"
    SAML = "saml"


ASSUME_ROLE = "sts:assumerole"
ASSUME_ROLE_WITH_WEB_IDENTITY = "sts:assumerolewithwebidentity"
ASSUME_ROLE_WITH_SAML = "sts:assumerolewithsaml"

COGNITO_ISSUER = "cognito-identity.amazonaws.com"


class AccountClass(enum.StrEnum):
    OWN = "own"
    TRUSTED = "trusted"
    ORG = "org"
    THIRD_PARTY = "third-party"


@dataclass(frozen=True, slots=True)
class Principal:
    """A principal as written, with what the evaluator needs to know about it."""

    entry: PrincipalEntry
    kind: Kind
    action: str  # the STS action (lower-case) this kind of principal calls
    account_id: str | None = None  # ACCOUNT: the 12-digit account
    issuer: str | None = None  # WEB_IDENTITY: lower-case issuer, the prefix of its claim keys

    @property
    def value(self) -> str:
        return self.entry.value

    @property
    def is_root(self) -> bool:
        """A bare account id or `…:root` stands for every principal of that account."""
        return self.kind is Kind.ACCOUNT and (self.value.isdigit() or self.value.endswith(":root"))


def classify(entry: PrincipalEntry) -> Principal:
    if entry.field == "*":
        return Principal(entry, Kind.ANYONE, ASSUME_ROLE)
    if entry.field == "Service":
        return Principal(entry, Kind.SERVICE, ASSUME_ROLE)
    if entry.field == "Federated":
        if ":saml-provider/" in entry.value:
            return Principal(entry, Kind.SAML, ASSUME_ROLE_WITH_SAML)
        issuer = entry.value.split(":oidc-provider/", 1)[-1]
        return Principal(
            entry, Kind.WEB_IDENTITY, ASSUME_ROLE_WITH_WEB_IDENTITY, issuer=issuer.lower()
        )
    value = entry.value
    if UNIQUE_ID.fullmatch(value):
        return Principal(entry, Kind.DELETED, ASSUME_ROLE)
    account = value if value.isdigit() else value.split(":", 5)[4]
    return Principal(entry, Kind.ACCOUNT, ASSUME_ROLE, account_id=account)


def classify_account(account_id: str, context: TrustContext) -> AccountClass:
    if account_id == context.own_account_id:
        return AccountClass.OWN
    if account_id in context.trusted_account_ids:
        return AccountClass.TRUSTED
    if account_id in context.org_account_ids:
        return AccountClass.ORG
    return AccountClass.THIRD_PARTY

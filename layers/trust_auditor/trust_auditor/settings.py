"""Function settings, read once from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from trust_auditor.model import ORG_ID_PATTERN

_ACCOUNT_ID_PATTERN = r"^\d{12}$"
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class SettingsError(ValueError):
    """An environment variable holds a value the functions cannot run with."""


class Settings(BaseModel):
    """HOME_REGION, ORG_ID, ORG_ACCOUNT_IDS, TRUSTED_ACCOUNT_IDS, ASSUMPTION_CACHE_SECONDS,
    LOOKUP_ORGANIZATION, and the Security Hub retries: PUBLISH_MAX_ATTEMPTS (per operation),
    PUBLISH_RETRY_BASE_SECONDS (the first backoff, doubled per retry up to 20 s) and
    PUBLISH_DEADLINE_SECONDS (no retry starts later than that after an operation's first
    retry). Account id lists are comma separated.

    The deadline bounds the waiting, not the calls: an event makes at most three Security Hub
    operations (read, import, workflow update), so 3 x 20 s of retrying leaves most of the
    120 s function timeout to the calls themselves, but calls that hang until their read
    timeout (10 s each) can still run the function out of time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    home_region: str = Field(pattern=r"^[a-z]{2}(-[a-z]+)+-\d+$")
    org_id: str | None = Field(default=None, pattern=f"^{ORG_ID_PATTERN}$")
    org_account_ids: tuple[str, ...] = ()
    trusted_account_ids: tuple[str, ...] = ()
    assumption_cache_seconds: float = Field(default=300.0, ge=0)
    lookup_organization: bool = True
    publish_max_attempts: int = Field(default=6, ge=1, le=20)
    publish_retry_base_seconds: float = Field(default=0.5, ge=0, le=30)
    publish_deadline_seconds: float = Field(default=20.0, ge=0, le=600)

    @field_validator("org_account_ids", "trusted_account_ids")
    @classmethod
    def _account_ids(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        bad = [value for value in values if not (value.isascii() and value.isdigit())]
        if bad or any(len(value) != 12 for value in values):
            raise ValueError(f"not a list of 12-digit account ids: {values!r}")
        return values

    @property
    def needs_organization_lookup(self) -> bool:
        """Look the organization up only for what the settings leave unknown."""
        return self.lookup_organization and (self.org_id is None or not self.org_account_ids)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        home_region = (
            env.get("HOME_REGION") or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        )
        if not home_region:
            raise SettingsError("HOME_REGION is not set and neither is AWS_REGION")
        try:
            return cls.model_validate(
                {
                    "home_region": home_region.strip(),
                    "org_id": env.get("ORG_ID", "").strip() or None,
                    "org_account_ids": _id_list(env.get("ORG_ACCOUNT_IDS", "")),
                    "trusted_account_ids": _id_list(env.get("TRUSTED_ACCOUNT_IDS", "")),
                    "assumption_cache_seconds": env.get("ASSUMPTION_CACHE_SECONDS", "").strip()
                    or 300,
                    "publish_max_attempts": env.get("PUBLISH_MAX_ATTEMPTS", "").strip() or 6,
                    "publish_retry_base_seconds": env.get("PUBLISH_RETRY_BASE_SECONDS", "").strip()
                    or 0.5,
                    "publish_deadline_seconds": env.get("PUBLISH_DEADLINE_SECONDS", "").strip()
                    or 20,
                    "lookup_organization": _flag(
                        "LOOKUP_ORGANIZATION", env.get("LOOKUP_ORGANIZATION")
                    ),
                }
            )
        except ValidationError as error:
            raise SettingsError(f"invalid settings in the environment: {error}") from error


def _id_list(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _flag(name: str, raw: str | None) -> bool:
    if raw is None or not raw.strip():
        return True
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name} must be true or false, not {raw[:20]!r}")

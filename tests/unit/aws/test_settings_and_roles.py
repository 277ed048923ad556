from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from trust_auditor.roles import RoleRecordError, role_from_iam, roles_from_authorization_details
from trust_auditor.settings import Settings, SettingsError

ARN = "arn:aws:iam::111122223333:role/service/app"


def test_settings_defaults_follow_the_function_region():
    settings = Settings.from_environ({"AWS_REGION": "eu-west-1"})
    assert settings.home_region == "eu-west-1"
    assert settings.assumption_cache_seconds == 300
    assert settings.lookup_organization is True
    assert settings.needs_organization_lookup is True


def test_settings_from_full_environment():
    settings = Settings.from_environ(
        {
            "AWS_REGION": "eu-west-1",
            "HOME_REGION": "us-east-1",
            "ORG_ID": "o-abcdefghij",
            "ORG_ACCOUNT_IDS": "111122223333, 222233334444",
            "TRUSTED_ACCOUNT_IDS": "999988887777",
            "ASSUMPTION_CACHE_SECONDS": "60",
            "LOOKUP_ORGANIZATION": "false",
        }
    )
    assert settings.home_region == "us-east-1"
    assert settings.org_account_ids == ("111122223333", "222233334444")
    assert settings.trusted_account_ids == ("999988887777",)
    assert settings.assumption_cache_seconds == 60
    assert settings.needs_organization_lookup is False


@pytest.mark.parametrize(
    "environ",
    [
        pytest.param({}, id="no-region"),
        pytest.param({"AWS_REGION": "us-east-1", "ORG_ACCOUNT_IDS": "12345"}, id="short-account"),
        pytest.param({"AWS_REGION": "us-east-1", "ORG_ID": "org-1"}, id="bad-org-id"),
        pytest.param({"AWS_REGION": "us-east-1", "LOOKUP_ORGANIZATION": "maybe"}, id="bad-flag"),
        pytest.param({"AWS_REGION": "us-east-1", "ASSUMPTION_CACHE_SECONDS": "-1"}, id="neg-ttl"),
        pytest.param({"AWS_REGION": "not a region"}, id="bad-region"),
    ],
)
def test_bad_settings_raise(environ: dict[str, str]):
    with pytest.raises(SettingsError):
        Settings.from_environ(environ)


def _detail(**changes: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "Arn": ARN,
        "RoleName": "app",
        "Path": "/service/",
        "RoleId": "AROAEXAMPLE",
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []},
        "Tags": [{"Key": "Trust-Auditor:Exempt", "Value": "vendor ticket 42"}],
        "CreateDate": datetime(2024, 1, 2, 4, 4, 5, tzinfo=timezone(timedelta(hours=1))),
    }
    detail.update(changes)
    return detail


def test_role_from_boto3_role_detail():
    role = role_from_iam(_detail())
    assert (role.name, role.path, role.account_id, role.role_id) == (
        "app",
        "/service/",
        "111122223333",
        "AROAEXAMPLE",
    )
    assert role.create_date == "2024-01-02T03:04:05Z"
    assert role.exemption_reason == "vendor ticket 42"
    assert role.partition == "aws"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("2024-01-02T03:04:05+00:00", "2024-01-02T03:04:05Z", id="cli-export"),
        pytest.param("2024-01-02T03:04:05Z", "2024-01-02T03:04:05Z", id="zulu"),
        pytest.param("Jan 2, 2024 3:04:05 AM", None, id="cloudtrail-style-unreadable"),
        pytest.param(None, None, id="absent"),
    ],
)
def test_export_dates(raw: str | None, expected: str | None):
    assert role_from_iam(_detail(CreateDate=raw)).create_date == expected


def test_raw_string_policy_is_kept_for_the_evaluator_to_fail_closed():
    role = role_from_iam(_detail(AssumeRolePolicyDocument="%7Bnot-json"))
    assert role.trust_policy == "%7Bnot-json"


def test_empty_exempt_tag_still_exempts():
    role = role_from_iam(_detail(Tags=[{"Key": "trust-auditor:exempt", "Value": ""}]))
    assert role.exemption_reason is not None


@pytest.mark.parametrize(
    "item",
    [
        pytest.param(_detail(Arn=None), id="no-arn"),
        pytest.param(_detail(RoleName="other"), id="name-arn-mismatch"),
        pytest.param(_detail(Arn="arn:aws:iam::1:role/app"), id="bad-arn"),
    ],
)
def test_bad_role_entries_raise(item: dict[str, Any]):
    with pytest.raises(RoleRecordError):
        role_from_iam(item)


def test_authorization_details_page():
    page = {"RoleDetailList": [_detail(), _detail(Arn=ARN.replace("app", "b"), RoleName="b")]}
    assert [r.name for r in roles_from_authorization_details(page)] == ["app", "b"]
    assert list(roles_from_authorization_details({"UserDetailList": []})) == []

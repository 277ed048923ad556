"""Contract between template.yaml and the code: handlers resolve, every events/*.json matches
(only) the rule of its function, each role grants exactly what its handler declares, every trust
and resource policy is scoped, and the template passes `sam validate --lint` and cfn-lint."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import subprocess
import tomllib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

import pytest
from moto import mock_aws

from tests.contract.eventbridge import matches
from tests.contract.template_support import (
    FUNCTION_DIRS,
    REPO,
    SAM_VENV,
    TEMPLATE,
    actions_of,
    require_sam_venv,
    resources_of_type,
    template,
    translated,
)
from tests.helpers.cloudtrail import envelope, shared_record
from tests.helpers.moto_securityhub import install_securityhub_workarounds, stored_findings
from trust_auditor import TrustContext, evaluate_trust_policy
from trust_auditor.asff import FindingScope, to_asff
from trust_auditor.aws import AwsClients, build_auditor
from trust_auditor.cli.main import main as trust_auditor_cli
from trust_auditor.events import (
    ScanRequest,
    parse_assume_role_event,
    parse_role_change_event,
    parse_scan_request,
)
from trust_auditor.roles import RoleRecord
from trust_auditor.settings import Settings

ACCOUNT = "111122223333"
MOTO_ACCOUNT = "123456789012"  # moto's default account
EVENTS = REPO / "events"
# The rule each event-driven function is invoked by, as named after the SAM transform.
RULES = {
    "RoleChangeFunction": "RoleChangeFunctionIamRoleChange",
    "AssumeRoleFunction": "AssumeRoleFunctionCrossAccountAssumeRole",
}
LAMBDA_MANAGED_POLICIES = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
}


def _function(name: str) -> dict[str, Any]:
    resource: dict[str, Any] = template()["Resources"][name]
    return resource


def _load_handler(function: str) -> ModuleType:
    path = REPO / "functions" / FUNCTION_DIRS[function] / "app.py"
    spec = importlib.util.spec_from_file_location(f"contract_{uuid.uuid4().hex}", path)
    assert spec is not None and spec.loader is not None, f"cannot import {path}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _event(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return loaded


def _rule_pattern(function: str) -> dict[str, Any]:
    rule = translated()["Resources"][RULES[function]]
    pattern: dict[str, Any] = rule["Properties"]["EventPattern"]
    return pattern


# ------------------------------------------------------------------------- validation tools


@pytest.mark.parametrize(
    "command",
    [
        pytest.param(
            ["sam", "validate", "--lint", "--region", "us-east-1"], id="sam-validate-lint"
        ),
        pytest.param(["cfn-lint", str(TEMPLATE)], id="cfn-lint"),
    ],
)
def test_template_validates(command: list[str]) -> None:
    require_sam_venv()
    tool = SAM_VENV / "bin" / command[0]
    completed = subprocess.run(
        [str(tool), *command[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "SAM_CLI_TELEMETRY": "0"},
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]


# ---------------------------------------------------------------------- functions and layer


@pytest.mark.parametrize("function", sorted(FUNCTION_DIRS))
def test_function_runs_the_handler_in_its_folder(function: str) -> None:
    properties = _function(function)["Properties"]
    assert properties["CodeUri"] == f"functions/{FUNCTION_DIRS[function]}/"
    assert properties["Handler"] == "app.lambda_handler"
    module = _load_handler(function)
    assert callable(module.lambda_handler)
    assert isinstance(module.REQUIRED_ACTIONS, frozenset) and module.REQUIRED_ACTIONS


@pytest.mark.parametrize("function", sorted(FUNCTION_DIRS))
def test_deployed_function_settings(function: str) -> None:
    properties = translated()["Resources"][function]["Properties"]
    assert properties["Runtime"] == "python3.13"
    assert properties["Architectures"] == ["x86_64"]
    assert properties["TracingConfig"] == {"Mode": "Active"}
    (layer,) = properties["Layers"]
    assert layer["Ref"].startswith("TrustAuditorLayer")
    env = properties["Environment"]["Variables"]
    assert env["POWERTOOLS_METRICS_NAMESPACE"] == "TrustAuditor"
    expected_env = {
        "HOME_REGION": "HomeRegion",
        "ORG_ID": "OrgId",
        "ORG_ACCOUNT_IDS": "OrgAccountIds",
        "TRUSTED_ACCOUNT_IDS": "TrustedAccountIds",
        "ASSUMPTION_CACHE_SECONDS": "AssumptionCacheSeconds",
        "LOOKUP_ORGANIZATION": "LookupOrganization",
    }
    assert {name: env[name] for name in expected_env} == {
        name: {"Ref": parameter} for name, parameter in expected_env.items()
    }
    assert env["POWERTOOLS_SERVICE_NAME"]


def test_scan_function_has_time_for_a_whole_account() -> None:
    properties = _function("ScanFunction")["Properties"]
    assert properties["Timeout"] == 900
    assert properties["MemorySize"] == 512


def test_layer_is_built_from_the_core_package() -> None:
    layer = template()["Resources"]["TrustAuditorLayer"]
    assert layer["Properties"]["ContentUri"] == "layers/trust_auditor/"
    # layers/trust_auditor/Makefile installs the requirements and the package, precompiled.
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    folder = REPO / "layers" / "trust_auditor"
    assert (folder / "trust_auditor" / "__init__.py").is_file()
    assert "build-TrustAuditorLayer:" in (folder / "Makefile").read_text()
    # The build writes python/ into the artifacts: an existing one would be nested.
    assert not (folder / "python").exists()


def test_layer_requirements_are_pinned_and_complete() -> None:
    lines = (REPO / "layers" / "trust_auditor" / "requirements.txt").read_text().splitlines()
    requirements = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    assert all("==" in line for line in requirements), requirements
    names = {line.split("==")[0].lower() for line in requirements}
    assert {
        "pydantic",
        "aws-lambda-powertools[tracer]",
        "aws-xray-sdk",
        "boto3",
        "botocore",
    } <= names
    assert "pyyaml" not in names  # only the CLI reads YAML


# ------------------------------------------------------------------- events and rule patterns

EVENT_FILES = [
    # file, function, does its rule deliver it
    pytest.param("role_change_create_role.json", "RoleChangeFunction", True, id="create-role"),
    pytest.param(
        "role_change_update_assume_role_policy.json", "RoleChangeFunction", True, id="update"
    ),
    pytest.param("role_change_delete_role.json", "RoleChangeFunction", True, id="delete-role"),
    pytest.param("role_change_untag_role.json", "RoleChangeFunction", True, id="untag-role"),
    # The rule filters failed calls out; the handler skips them too (see test below).
    pytest.param("role_change_failed_call.json", "RoleChangeFunction", False, id="failed-call"),
    pytest.param(
        "assume_role_cross_account.json", "AssumeRoleFunction", True, id="assume-cross-account"
    ),
    pytest.param(
        "assume_role_cross_account_with_external_id.json",
        "AssumeRoleFunction",
        True,
        id="assume-with-external-id",
    ),
]


def test_every_event_file_is_covered() -> None:
    covered = {param.values[0] for param in EVENT_FILES} | {"scan.json", "scan_dry_run.json"}
    assert {path.name for path in EVENTS.glob("*.json")} == covered


@pytest.mark.parametrize(("name", "function", "delivered"), EVENT_FILES)
def test_event_file_matches_only_its_rule(name: str, function: str, delivered: bool) -> None:
    event = _event(name)
    assert matches(_rule_pattern(function), event) is delivered
    for other in set(RULES) - {function}:
        assert not matches(_rule_pattern(other), event)


PARSERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "RoleChangeFunction": parse_role_change_event,
    "AssumeRoleFunction": parse_assume_role_event,
}


@pytest.mark.parametrize(("name", "function", "delivered"), EVENT_FILES)
def test_event_file_parses_for_its_handler(name: str, function: str, delivered: bool) -> None:
    parsed = PARSERS[function](_event(name))
    assert parsed.account_id == ACCOUNT
    assert (parsed.error_code is None) is delivered


@pytest.mark.parametrize(
    ("name", "roles", "dry_run"),
    [
        pytest.param("scan.json", None, False, id="scan"),
        pytest.param("scan_dry_run.json", None, True, id="scan-dry-run"),
    ],
)
def test_scan_event_files_parse(name: str, roles: tuple[str, ...] | None, dry_run: bool) -> None:
    request = parse_scan_request(_event(name))
    assert (request.roles, request.dry_run) == (roles, dry_run)


def test_scheduled_event_is_a_full_scan() -> None:
    """What the ScanFunction schedule delivers (EventBridge "Scheduled Event")."""
    scheduled = {
        "version": "0",
        "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": "2025-03-19T06:00:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:events:us-east-1:{ACCOUNT}:rule/trust-auditor-ScanSchedule"],
        "detail": {},
    }
    request = parse_scan_request(scheduled)
    assert (request.roles, request.dry_run) == (None, False)


SHARED_RECORDS = [
    # record in /work/shared/events, rule that must deliver it (None: no rule)
    pytest.param(
        "iam_CreateRole__stratus_real_anonymized.json", "RoleChangeFunction", id="create-role"
    ),
    pytest.param(
        "iam_CreateRole_by_IAMIdentityCenter_statement_is_object__redacted_real.json",
        "RoleChangeFunction",
        id="create-role-by-sso",
    ),
    pytest.param(
        "iam_UpdateAssumeRolePolicy__stratus_real_anonymized.json",
        "RoleChangeFunction",
        id="update-trust",
    ),
    pytest.param(
        "iam_DeleteRole__eventbridge_envelope__rust_fixture_real.json",
        "RoleChangeFunction",
        id="delete-role",
    ),
    pytest.param(
        "sts_AssumeRole_cross_account_no_externalId__role_account_side__awsdocs_example.json",
        "AssumeRoleFunction",
        id="cross-account-role-side",
    ),
    pytest.param(
        "sts_AssumeRole_cross_account_with_externalId__role_account_side__cloudsnitch_real.json",
        "AssumeRoleFunction",
        id="cross-account-with-external-id",
    ),
    pytest.param("sts_AssumeRole_same_account__stratus_real_anonymized.json", None, id="same-acct"),
    pytest.param(
        "sts_AssumeRole_by_aws_service_principal_with_externalId__cloudsnitch_real.json",
        None,
        id="aws-service",
    ),
    pytest.param(
        "sts_AssumeRole_cross_account_no_externalId__caller_account_side__awsdocs_example.json",
        None,
        id="caller-account-side",
    ),
    pytest.param("sts_AssumeRole_via_global_endpoint__awsdocs_example.json", None, id="global"),
    pytest.param(
        "sts_AssumeRoleWithWebIdentity_github_actions__cloudsnitch_real.json",
        None,
        id="web-identity",
    ),
    pytest.param(
        "sts_GetCallerIdentity__eventbridge_envelope_aws.sts__curben_placeholder_ids.json",
        None,
        id="get-caller-identity",
    ),
]


@pytest.mark.parametrize(("record", "function"), SHARED_RECORDS)
def test_real_records_reach_only_the_right_function(record: str, function: str | None) -> None:
    event = envelope(shared_record(record))
    delivered = {name for name in RULES if matches(_rule_pattern(name), event)}
    assert delivered == ({function} if function else set())


def test_assume_role_rule_receives_read_only_management_events() -> None:
    rule = translated()["Resources"][RULES["AssumeRoleFunction"]]
    assert rule["Properties"]["State"] == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"


def _imported_event(finding_changes: dict[str, Any], *, alert: bool = True) -> dict[str, Any]:
    """A "Security Hub Findings - Imported" event around a finding the product writes (`alert`:
    by the import that opens it)."""
    role = RoleRecord(
        arn=f"arn:aws:iam::{ACCOUNT}:role/EC2-dev",
        name="EC2-dev",
        path="/",
        account_id=ACCOUNT,
        role_id="AROAQRSTUVWX5EXAMPLE",
        trust_policy={},
    )
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    (finding, *_) = evaluate_trust_policy(document, TrustContext(role_arn=role.arn))
    now = datetime(2025, 3, 19, tzinfo=UTC)
    asff = to_asff(
        finding,
        role,
        scope=FindingScope(ACCOUNT, "aws", "us-east-1"),
        created_at=now,
        updated_at=now,
        alert=alert,
    )
    # Security Hub adds the workflow state on import.
    stored = {**asff, "Workflow": {"Status": "NEW"}, **finding_changes}
    return _securityhub_event(stored)


def _securityhub_event(finding: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "8e5622f9-d81c-4d81-612a-9319e7ee2506",
        "detail-type": "Security Hub Findings - Imported",
        "source": "aws.securityhub",
        "account": ACCOUNT,
        "time": "2025-03-19T00:00:00Z",
        "region": "us-east-1",
        "resources": [finding["ProductArn"]],
        "detail": {"findings": [finding]},
    }


@pytest.mark.parametrize(
    ("changes", "alerted"),
    [
        pytest.param({"Severity": {"Label": "HIGH"}}, True, id="high"),
        pytest.param({"Severity": {"Label": "CRITICAL"}}, True, id="critical"),
        pytest.param({"Severity": {"Label": "MEDIUM"}}, False, id="medium"),
        pytest.param({"RecordState": "ARCHIVED"}, False, id="archived"),
        pytest.param({"Workflow": {"Status": "SUPPRESSED"}}, False, id="suppressed"),
        pytest.param({"GeneratorId": "aws-foundational-security"}, False, id="other-product"),
    ],
)
def test_alert_rule_selects_new_severe_active_findings(
    changes: dict[str, Any], alerted: bool
) -> None:
    rule = translated()["Resources"]["FindingAlertsRule"]["Properties"]
    event = _imported_event({"Severity": {"Label": "HIGH"}, **changes})
    assert matches(rule["EventPattern"], event) is alerted
    assert [target["Arn"] for target in rule["Targets"]] == [{"Ref": "AlertsTopic"}]


def test_alert_rule_ignores_re_imports() -> None:
    """Security Hub emits "Findings - Imported" on every import, not only the first."""
    rule = translated()["Resources"]["FindingAlertsRule"]["Properties"]
    assert matches(rule["EventPattern"], _imported_event({}, alert=True))
    assert not matches(rule["EventPattern"], _imported_event({}, alert=False))


def _events_of_each_write(securityhub: Any) -> list[tuple[str, dict[str, Any]]]:
    """(operation, event) for every finding each import or workflow update changes: the
    finding as stored right after the call, as Security Hub sends it to EventBridge."""
    events: list[tuple[str, dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["written_ids"] = [
            item["Id"] for item in params.get("Findings") or params.get("FindingIdentifiers") or []
        ]

    def emit(model: Any, context: dict[str, Any], **_: Any) -> None:
        written = set(context.pop("written_ids", []))
        for finding in stored_findings(MOTO_ACCOUNT):
            if finding["Id"] in written:
                events.append((model.name, _securityhub_event(copy.deepcopy(finding))))

    for operation in ("BatchImportFindings", "BatchUpdateFindings"):
        securityhub.meta.events.register(f"before-parameter-build.securityhub.{operation}", record)
        securityhub.meta.events.register(f"after-call.securityhub.{operation}", emit)
    return events


def test_one_alert_per_opening_over_a_findings_life() -> None:
    """The events the product's own writes cause, through the alert rule: one alert when a
    finding opens (created, back after a fix), none for re-imports (each scan), archiving,
    or an exempt role; one when an exemption is lifted."""
    pattern = translated()["Resources"]["FindingAlertsRule"]["Properties"]["EventPattern"]
    statement = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
        "Action": "sts:AssumeRole",
    }
    unguarded = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    guard = {"Condition": {"StringEquals": {"sts:ExternalId": "x-1"}}}
    trust = json.dumps({"Version": "2012-10-17", "Statement": [statement | guard]})
    with mock_aws():
        settings = Settings.from_environ(
            {"AWS_REGION": "us-east-1", "LOOKUP_ORGANIZATION": "false"}
        )
        clients = AwsClients.create(settings.home_region)
        install_securityhub_workarounds(clients.securityhub)
        events = _events_of_each_write(clients.securityhub)
        auditor = build_auditor(settings, clients, full_scan=True)

        def alerts_after(step: Callable[[], object]) -> list[str]:
            events.clear()
            step()
            return [operation for operation, event in events if matches(pattern, event)]

        iam = clients.iam
        iam.create_role(RoleName="partner", AssumeRolePolicyDocument=unguarded)
        assert alerts_after(lambda: auditor.scan(ScanRequest())) == ["BatchImportFindings"]
        assert alerts_after(lambda: auditor.scan(ScanRequest())) == []  # the next day's scan
        iam.update_assume_role_policy(RoleName="partner", PolicyDocument=trust)
        assert alerts_after(lambda: auditor.scan(ScanRequest())) == []  # fixed: archived
        iam.update_assume_role_policy(RoleName="partner", PolicyDocument=unguarded)
        assert alerts_after(lambda: auditor.scan(ScanRequest())) == ["BatchImportFindings"]
        assert events  # the re-import did emit an event, it just does not alert

        iam.create_role(
            RoleName="vendor",
            AssumeRolePolicyDocument=unguarded,
            Tags=[{"Key": "trust-auditor:exempt", "Value": "contract 2024-17"}],
        )
        assert alerts_after(lambda: auditor.scan(ScanRequest(roles=("vendor",)))) == []
        iam.untag_role(RoleName="vendor", TagKeys=["trust-auditor:exempt"])
        assert alerts_after(lambda: auditor.scan(ScanRequest(roles=("vendor",)))) == [
            "BatchUpdateFindings"
        ]


# -------------------------------------------------------------------------- least privilege


def _declared_actions(function: str) -> set[str]:
    actions: set[str] = set()
    for policy in _function(function)["Properties"]["Policies"]:
        for statement in policy["Statement"]:
            assert statement["Effect"] == "Allow"
            actions.update(actions_of(statement))
    return actions


@pytest.mark.parametrize("function", sorted(FUNCTION_DIRS))
def test_function_policy_grants_exactly_the_required_actions(function: str) -> None:
    assert _declared_actions(function) == set(_load_handler(function).REQUIRED_ACTIONS)


@pytest.mark.parametrize("function", sorted(FUNCTION_DIRS))
def test_generated_role_adds_only_logs_xray_and_its_failure_queue(function: str) -> None:
    resources = translated()["Resources"]
    role = resources[f"{function}Role"]["Properties"]
    assert set(role["ManagedPolicyArns"]) == LAMBDA_MANAGED_POLICIES
    on_failure = _function(function)["Properties"]["EventInvokeConfig"]["DestinationConfig"]
    queue = on_failure["OnFailure"]["Destination"]
    extra = []
    for policy in role["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            if set(actions_of(statement)) <= _declared_actions(function):
                continue
            extra.append((actions_of(statement), statement["Resource"]))
    assert extra == [(["sqs:SendMessage"], queue)]


def _iam_statements(resources: dict[str, Any]) -> list[dict[str, Any]]:
    statements = []
    for role in resources_of_type(resources, "AWS::IAM::Role").values():
        for policy in role["Properties"].get("Policies", []):
            statements.extend(policy["PolicyDocument"]["Statement"])
    return statements


def test_no_role_grants_wildcard_actions() -> None:
    statements = _iam_statements(translated()["Resources"])
    assert statements
    for statement in statements:
        for action in actions_of(statement):
            assert "*" not in action, statement


def test_resource_level_permissions_where_the_api_has_them() -> None:
    for statement in _iam_statements(translated()["Resources"]):
        if statement["Resource"] == "*":
            # Only actions without resource-level permissions may use "*".
            assert set(actions_of(statement)) <= {
                "iam:GetAccountAuthorizationDetails",
                "sts:GetCallerIdentity",
                "organizations:DescribeOrganization",
                "organizations:ListAccounts",
            }, statement


@pytest.mark.parametrize("deployment", ["Full", "AssumeRoleOnly"])
def test_every_role_trust_policy_is_clean(deployment: str) -> None:
    roles = resources_of_type(translated(Deployment=deployment)["Resources"], "AWS::IAM::Role")
    assert set(roles) == {f"{function}Role" for function in FUNCTION_DIRS}
    for name, role in roles.items():
        context = TrustContext(role_arn=f"arn:aws:iam::{ACCOUNT}:role/{name}")
        findings = evaluate_trust_policy(role["Properties"]["AssumeRolePolicyDocument"], context)
        assert [finding.to_dict() for finding in findings] == [], name


def test_check_policy_cli_passes_the_template(capsys: pytest.CaptureFixture[str]) -> None:
    exit_code = trust_auditor_cli(["check-policy", str(TEMPLATE), "--account-id", ACCOUNT])
    assert exit_code == 0, capsys.readouterr()


# ----------------------------------------------------------- failure handling and resources


def test_resource_policies_for_services_are_scoped_to_this_stack() -> None:
    resources = template()["Resources"]
    policies = {
        **resources_of_type(resources, "AWS::SQS::QueuePolicy"),
        **resources_of_type(resources, "AWS::SNS::TopicPolicy"),
    }
    assert policies
    for name, policy in policies.items():
        for entry in policy["Properties"]["PolicyDocument"]["Statement"]:
            # A statement present in some deployments only: check the statement itself.
            statement = entry["Fn::If"][1] if "Fn::If" in entry else entry
            conditions = {key for block in statement["Condition"].values() for key in block}
            assert conditions & {"aws:SourceArn", "aws:SourceAccount"}, name


@pytest.mark.parametrize("function", sorted(FUNCTION_DIRS))
def test_events_that_fail_are_retried_then_kept(function: str) -> None:
    properties = _function(function)["Properties"]
    invoke = properties["EventInvokeConfig"]
    assert invoke["MaximumRetryAttempts"] == 2
    assert invoke["DestinationConfig"]["OnFailure"]["Type"] == "SQS"
    for event in properties["Events"].values():
        assert event["Properties"]["RetryPolicy"]["MaximumRetryAttempts"] > 0
        assert "Fn::GetAtt" in event["Properties"]["DeadLetterConfig"]["Arn"]


def test_every_queue_is_encrypted_and_alarmed_to_the_alerts_topic() -> None:
    resources = template()["Resources"]
    queues = resources_of_type(resources, "AWS::SQS::Queue")
    alarms = {}
    for alarm in resources_of_type(resources, "AWS::CloudWatch::Alarm").values():
        properties = alarm["Properties"]
        (dimension,) = properties["Dimensions"]
        alarms[dimension["Value"]["Fn::GetAtt"][0]] = alarm
        assert properties["MetricName"] == "ApproximateNumberOfMessagesVisible"
        assert (properties["Threshold"], properties["ComparisonOperator"]) == (
            0,
            "GreaterThanThreshold",
        )
        assert properties["AlarmActions"] == [{"Ref": "AlertsTopic"}]
    assert set(alarms) == set(queues)
    for name, queue in queues.items():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True, name
        # A queue and its alarm are deployed together.
        assert queue.get("Condition") == alarms[name].get("Condition"), name


def test_assume_role_only_deployment_keeps_just_the_assume_role_path() -> None:
    always = {
        name
        for name, resource in translated(Deployment="AssumeRoleOnly")["Resources"].items()
        if "Condition" not in resource
    }
    assert {name for name in always if not name.startswith("TrustAuditorLayer")} == {
        "AssumeRoleFunction",
        "AssumeRoleFunctionRole",
        "AssumeRoleFunctionEventInvokeConfig",
        "AssumeRoleFunctionCrossAccountAssumeRole",
        "AssumeRoleFunctionCrossAccountAssumeRolePermission",
        "AssumeRoleLogGroup",
        "AssumeRoleFailureQueue",
        "AssumeRoleRuleDeadLetterQueue",
        "AssumeRoleRuleDeadLetterQueuePolicy",
        "AssumeRoleFailureAlarm",
        "AssumeRoleRuleDeadLetterAlarm",
        "AlertsKey",
        "AlertsTopic",
        "AlertsTopicPolicy",
    }


def test_samconfig_deploys_the_stack_to_us_east_1() -> None:
    config = tomllib.loads((REPO / "samconfig.toml").read_text())["default"]
    assert config["global"]["parameters"] == {"stack_name": "trust-auditor", "region": "us-east-1"}
    deploy = config["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["resolve_s3"] is True
    assert deploy["confirm_changeset"] is True


def test_outputs_name_existing_resources() -> None:
    resources = template()["Resources"]
    for name, output in template()["Outputs"].items():
        value = output["Value"]
        target = value.get("Ref") or value.get("Fn::GetAtt", [None])[0]
        assert target in resources, name
        assert output.get("Condition") == resources[target].get("Condition"), name

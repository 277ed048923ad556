"""`trust-auditor check-policy`: policies, templates and plans, exit codes and input errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from trust_auditor.cli.check_policy import PLACEHOLDER_ACCOUNT_ID
from trust_auditor.cli.main import main

FIXTURES = Path(__file__).resolve().parents[3] / "examples"
CORPUS = Path(__file__).parents[3].parent / "shared" / "corpus"
CLI = Path(sys.executable).parent / "trust-auditor"
ROLE = "arn:aws:iam::111122223333:role/SharedData"
PARTNER_STATEMENT: dict[str, Any] = {
    "Effect": "Allow",
    "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
    "Action": "sts:AssumeRole",
}
PARTNER_TRUST = {"Version": "2012-10-17", "Statement": [PARTNER_STATEMENT]}
GUARDED_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            **PARTNER_STATEMENT,
            "Condition": {"StringEquals": {"sts:ExternalId": "c0ffee-7f3a9c"}},
        }
    ],
}


def _write(tmp_path: Path, content: Any, name: str = "policy.json") -> str:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _pairs(output: str) -> set[tuple[str, str | None]]:
    return {(item["rule"], item["principal"]) for item in json.loads(output)}


# --- policies -------------------------------------------------------------------------------


def test_partner_without_external_id_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = _write(tmp_path, PARTNER_TRUST)
    code, out, err = _run(["check-policy", file, "--role-arn", ROLE, "--format", "json"], capsys)
    assert (code, err) == (1, "")
    (finding,) = json.loads(out)
    assert finding["rule"] == "EXTERNAL_ID_MISSING"
    assert finding["severity"] == "HIGH"
    assert finding["principal"] == "arn:aws:iam::444455556666:root"
    assert finding["title"]
    assert "sts:ExternalId" in json.dumps(finding["remediation"]["corrected_policy"])
    assert finding["remediation"]["command"].startswith(
        "aws iam update-assume-role-policy --role-name SharedData"
    )


def test_guarded_policy_is_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(["check-policy", _write(tmp_path, GUARDED_TRUST)], capsys)
    assert (code, out, err) == (0, "No findings.\n", "")


def test_json_of_a_clean_policy_is_an_empty_list(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = _write(tmp_path, GUARDED_TRUST)
    assert _run(["check-policy", file, "--format", "json"], capsys) == (0, "[]\n", "")


def test_table_lists_severity_first_then_remediation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sts:AssumeRole",
            },
            PARTNER_STATEMENT,
            {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
        ],
    }
    code, out, _ = _run(["check-policy", _write(tmp_path, policy), "--role-arn", ROLE], capsys)
    lines = out.splitlines()
    assert code == 1
    assert lines[0].split() == ["#", "SEVERITY", "RULE", "PRINCIPAL", "TITLE"]
    assert [line.split()[1] for line in lines[1:4]] == ["CRITICAL", "HIGH", "LOW"]
    assert [line.split()[2] for line in lines[1:4]] == [
        "PUBLIC_TRUST",
        "EXTERNAL_ID_MISSING",
        "SERVICE_CONFUSED_DEPUTY",
    ]
    assert "Corrected trust policy:" in out
    assert "aws iam update-assume-role-policy --role-name SharedData" in out


def test_org_options_decide_between_org_and_third_party(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = _write(tmp_path, PARTNER_TRUST)
    base = ["check-policy", file, "--role-arn", ROLE, "--format", "json"]
    org = ["--org-id", "o-exampleorg1", "--org-account", "444455556666"]
    assert _pairs(_run([*base, *org], capsys)[1]) == {
        ("ORG_CONDITION_MISSING", "arn:aws:iam::444455556666:root")
    }
    assert _run([*base, "--trusted-account", "444455556666"], capsys)[:2] == (0, "[]\n")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"Version": "2012-10-17", "Statement": [', id="truncated-json"),
        pytest.param("[]", id="not-an-object"),
        pytest.param("Resources: [", id="yaml-looking-garbage"),
        pytest.param("", id="empty-file"),
    ],
)
def test_unreadable_policy_is_a_finding_not_an_error(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = _write(tmp_path, text)
    code, out, err = _run(
        ["check-policy", file, "--format", "json", "--input-kind", "policy"], capsys
    )
    assert (code, err) == (1, "")
    assert _pairs(out) == {("UNPARSEABLE_POLICY", None)}


@pytest.mark.parametrize(
    "text",
    [
        pytest.param('{"Statement": [}', id="broken-json"),
        pytest.param(
            '{"Statement": ' + "[" * 100_000 + "]" * 100_000 + "}", id="nested-too-deeply"
        ),
    ],
)
def test_unreadable_policy_is_a_finding_when_detected_automatically(
    text: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = _write(tmp_path, text)
    code, out, _ = _run(["check-policy", file, "--format", "json"], capsys)
    assert (code, _pairs(out)) == (1, {("UNPARSEABLE_POLICY", None)})


def test_url_encoded_policy_as_iam_returns_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = _write(tmp_path, quote(json.dumps(PARTNER_TRUST)))
    code, out, _ = _run(["check-policy", file, "--role-arn", ROLE, "--format", "json"], capsys)
    assert (code, _pairs(out)) == (1, {("EXTERNAL_ID_MISSING", "arn:aws:iam::444455556666:root")})


def test_policy_from_stdin(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(json.dumps(PARTNER_TRUST).encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    code, out, _ = _run(["check-policy", "-", "--format", "json"], capsys)
    assert (code, _pairs(out)) == (1, {("EXTERNAL_ID_MISSING", "arn:aws:iam::444455556666:root")})


def _corpus_cases() -> list[Any]:
    return [
        pytest.param(path, id=path.stem.split("-", 2)[1] + "-" + path.stem.split("-", 2)[2][:40])
        for path in sorted(CORPUS.glob("*.json"))
    ]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not beside the repository")
@pytest.mark.parametrize("case_path", _corpus_cases())
def test_corpus_case_through_the_cli(
    case_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    case = json.loads(case_path.read_text())
    context = case["context"]
    argv = ["check-policy", _write(tmp_path, case["policy"]), "--format", "json"]
    argv += ["--input-kind", "policy"]
    if context.get("role_arn"):
        argv += ["--role-arn", context["role_arn"]]
    if context.get("org_id"):
        argv += ["--org-id", context["org_id"]]
    for account in context.get("org_account_ids") or ():
        argv += ["--org-account", account]
    for account in context.get("trusted_account_ids") or ():
        argv += ["--trusted-account", account]
    code, out, err = _run(argv, capsys)
    expected = {(item["rule"], item["principal"]) for item in case["expected"]}
    assert (_pairs(out), code, err) == (expected, 1 if expected else 0, "")


# --- templates and plans --------------------------------------------------------------------


def test_cloudformation_template(capsys: pytest.CaptureFixture[str]) -> None:
    file = str(FIXTURES / "cfn-roles.yaml")
    code, out, err = _run(
        ["check-policy", file, "--format", "json", "--account-id", "111122223333"], capsys
    )
    findings = json.loads(out)
    assert code == 1
    assert {(f["resource"], f["rule"], f["principal"]) for f in findings} == {
        ("AuditorRole", "EXTERNAL_ID_MISSING", "999900001111"),
        ("ImportedPrincipalRole", "UNPARSEABLE_POLICY", None),
    }
    by_resource = {f["resource"]: f for f in findings}
    assert by_resource["AuditorRole"]["role_arn"] == "arn:aws:iam::111122223333:role/auditor-access"
    assert "Fn::ImportValue" in by_resource["ImportedPrincipalRole"]["detail"]
    assert err == ""  # the unresolved value is explained in the finding itself


def test_template_own_account_defaults_to_the_placeholder(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out, _ = _run(["check-policy", str(FIXTURES / "cfn-roles.yaml"), "--format", "json"], capsys)
    roles = {f["role_arn"] for f in json.loads(out)}
    assert roles == {
        f"arn:aws:iam::{PLACEHOLDER_ACCOUNT_ID}:role/auditor-access",
        f"arn:aws:iam::{PLACEHOLDER_ACCOUNT_ID}:role/ImportedPrincipalRole",
    }


def test_template_parameter_override(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["check-policy", str(FIXTURES / "cfn-roles.yaml"), "--format", "json"]
    argv += ["--parameter", "PartnerExternalId=partner-*"]
    _, out, _ = _run(argv, capsys)
    reported = {(f["resource"], f["rule"]) for f in json.loads(out)}
    assert ("PartnerGuardedRole", "WEAK_CONDITION") in reported


def test_sam_template(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        ["check-policy", str(FIXTURES / "sam-app.yaml"), "--format", "json"], capsys
    )
    assert code == 1
    assert {(f["resource"], f["rule"], f["principal"]) for f in json.loads(out)} == {
        ("EdgeFunction", "PUBLIC_TRUST", "*"),
    }


def test_terraform_plan(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(
        ["check-policy", str(FIXTURES / "terraform-plan.json"), "--format", "json"], capsys
    )
    findings = json.loads(out)
    assert code == 1
    assert {(f["resource"], f["rule"], f["principal"]) for f in findings} == {
        ("aws_iam_role.public", "PUBLIC_TRUST", "*"),
        ("aws_iam_role.partner", "EXTERNAL_ID_MISSING", "arn:aws:iam::444455556666:root"),
        ("aws_iam_role.computed", "UNPARSEABLE_POLICY", None),
    }
    computed = next(f for f in findings if f["resource"] == "aws_iam_role.computed")
    assert "known only after apply" in computed["detail"]


def test_template_table_has_a_resource_column(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run(["check-policy", str(FIXTURES / "sam-app.yaml")], capsys)
    assert out.splitlines()[0].split() == [
        "#",
        "SEVERITY",
        "RESOURCE",
        "RULE",
        "PRINCIPAL",
        "TITLE",
    ]
    assert out.splitlines()[1].split()[:4] == ["1", "CRITICAL", "EdgeFunction", "PUBLIC_TRUST"]


def test_template_without_roles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    file = _write(tmp_path, "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n", "t.yaml")
    code, out, err = _run(["check-policy", file], capsys)
    assert (code, out) == (0, "No findings.\n")
    assert err == "note: no IAM role in this cloudformation input\n"


def test_forced_input_kind_overrides_detection(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = {"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {}}}}
    file = _write(tmp_path, template)
    _, out, _ = _run(["check-policy", file, "--format", "json", "--input-kind", "policy"], capsys)
    # As a policy the template is not one IAM would accept.
    assert [(f["rule"], "resource" in f) for f in json.loads(out)] == [
        ("UNPARSEABLE_POLICY", False)
    ]


# --- usage and input errors ----------------------------------------------------------------

# The statement list holds the document that holds it: an endless structure.
RECURSIVE_TEMPLATE = """\
Resources:
  Loop:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: &trust
        Version: "2012-10-17"
        Statement:
          - *trust
"""


# json parses this depth; walking it for intrinsic functions exceeds Python's recursion limit.
DEEP_JSON_TEMPLATE = (
    '{"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": '
    '{"AssumeRolePolicyDocument": {"Statement": ' + "[" * 5_000 + "]" * 5_000 + "}}}}}"
)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        pytest.param(
            ["check-policy", "{missing}"],
            "cannot read {missing}: No such file or directory",
            id="missing-file",
        ),
        pytest.param(
            ["check-policy", "{tmp}"], "cannot read {tmp}: Is a directory", id="directory"
        ),
        pytest.param(
            ["check-policy", "{policy}", "--role-arn", "arn:aws:iam::1:role/x"],
            "argument --role-arn: not an IAM role ARN: 'arn:aws:iam::1:role/x'",
            id="bad-role-arn",
        ),
        pytest.param(
            ["check-policy", "{policy}", "--org-account", "12345"],
            "argument --org-account: not a 12-digit account id: '12345'",
            id="bad-org-account",
        ),
        pytest.param(
            ["check-policy", "{policy}", "--org-id", "foo"],
            "argument --org-id: not an organization id (o-...): 'foo'",
            id="bad-org-id",
        ),
        pytest.param(
            ["check-policy", "{policy}", "--org-id", "o-short"],
            "argument --org-id: not an organization id (o-...): 'o-short'",
            id="org-id-too-short",
        ),
        pytest.param(
            ["check-policy", "{policy}", "--org-id", "o-EXAMPLEORG1"],
            "argument --org-id: not an organization id (o-...): 'o-EXAMPLEORG1'",
            id="org-id-upper-case",
        ),
        pytest.param(
            ["check-policy", "{policy}", "--trusted-account", "abc"],
            "argument --trusted-account: not a 12-digit account id: 'abc'",
            id="bad-trusted-account",
        ),
        pytest.param(
            ["check-policy", "{policy}", "--format", "xml"],
            "argument --format: invalid choice: 'xml'",
            id="bad-format",
        ),
        pytest.param(["check-policy"], "the following arguments are required: FILE", id="no-file"),
        pytest.param([], "the following arguments are required: COMMAND", id="no-command"),
        pytest.param(
            ["check-policy", "{policy}", "--account-id", "111122223333"],
            "--account-id and --parameter apply to templates and plans",
            id="account-id-on-policy",
        ),
        pytest.param(
            ["check-policy", "{template}", "--role-arn", ROLE],
            "--role-arn names one role: for a template or plan use --account-id",
            id="role-arn-on-template",
        ),
        pytest.param(
            ["check-policy", "{policy}", "--input-kind", "terraform"],
            "not a Terraform plan: expected `terraform show -json` output",
            id="forced-terraform",
        ),
        pytest.param(
            ["check-policy", "{policy}", "--input-kind", "cloudformation"],
            "not a CloudFormation template: no Resources section",
            id="forced-cloudformation",
        ),
        pytest.param(
            ["check-policy", "{broken_template}"],
            "not a readable CloudFormation template: line 3, column 6: "
            "expected the node content, but found '}'",
            id="broken-yaml-template",
        ),
        pytest.param(
            ["check-policy", "{recursive_template}"],
            "not a readable CloudFormation template: line 8, column 13: "
            "alias *trust refers to itself",
            id="self-referencing-yaml-anchor",
        ),
        pytest.param(
            ["check-policy", "{deep_yaml_template}"],
            "not a readable CloudFormation template: nested too deeply",
            id="yaml-nested-too-deeply",
        ),
        pytest.param(
            ["check-policy", "{deep_json_template}"],
            "template nested too deeply to resolve",
            id="json-nested-too-deeply-to-resolve",
        ),
        pytest.param(
            ["check-policy", "{binary}"],
            "cannot read {binary}: not UTF-8 text (byte 0)",
            id="not-utf8",
        ),
        pytest.param(
            ["check-policy", "{template}", "--parameter", "novalue"],
            "argument --parameter: expected NAME=VALUE, got 'novalue'",
            id="bad-parameter",
        ),
    ],
)
def test_usage_and_input_errors(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = {
        "missing": str(tmp_path / "absent.json"),
        "tmp": str(tmp_path),
        "policy": _write(tmp_path, PARTNER_TRUST),
        "template": str(FIXTURES / "sam-app.yaml"),
        "broken_template": _write(tmp_path, "Resources:\n  A: [\n  B: }\n", "broken.yaml"),
        "binary": str(tmp_path / "policy.bin"),
        "recursive_template": _write(tmp_path, RECURSIVE_TEMPLATE, "recursive.yaml"),
        "deep_yaml_template": _write(
            tmp_path, "Resources:\n  R: " + "[" * 10_000 + "]" * 10_000, "deep.yaml"
        ),
        "deep_json_template": _write(tmp_path, DEEP_JSON_TEMPLATE, "deep.json"),
    }
    (tmp_path / "policy.bin").write_bytes(b"\xff\xfe\x00garbage")
    code, out, err = _run([_fill(arg, names) for arg in argv], capsys)
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith("trust-auditor: error: " + _fill(message, names))


def _fill(text: str, names: dict[str, str]) -> str:
    for key, value in names.items():
        text = text.replace("{" + key + "}", value)
    return text


def test_help_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["check-policy", "--help"], capsys)
    assert code == 0
    assert "--input-kind {auto,policy,cloudformation,terraform}" in out


# --- the installed command ------------------------------------------------------------------


def _subprocess(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    return subprocess.run(
        [str(CLI), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


def test_installed_command_reads_stdin_and_exits_one() -> None:
    result = _subprocess(["check-policy", "-", "--format", "json"], json.dumps(PARTNER_TRUST))
    assert (result.returncode, result.stderr) == (1, "")
    assert _pairs(result.stdout) == {("EXTERNAL_ID_MISSING", "arn:aws:iam::444455556666:root")}


def test_installed_command_reports_a_missing_file_without_traceback(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    result = _subprocess(["check-policy", str(missing)])
    assert (result.returncode, result.stdout) == (2, "")
    assert (
        result.stderr == f"trust-auditor: error: cannot read {missing}: No such file or directory\n"
    )


def test_installed_check_policy_does_not_load_boto3_or_pydantic() -> None:
    probe = (
        "import sys; from trust_auditor.cli.main import main; "
        "code = main(['check-policy', '-', '--format', 'json']); "
        "print(sorted(m for m in ('boto3', 'botocore', 'pydantic') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        input=json.dumps(GUARDED_TRUST),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.stdout.splitlines()[-1] == "[]"

"""Every command in README.md works as documented. The CLI runs (offline as a subprocess, or
in-process against moto); make targets exist (demo and test are run by their own test and CI);
sam commands need Docker or AWS, so their flags, functions, events, parameters and stack are
checked offline, and the local invoke tier runs the same function on the same event."""

from __future__ import annotations

import functools
import json
import re
import shlex
import subprocess
import tomllib
from typing import Any

import boto3
import pytest

from tests.contract.template_support import REPO, SAM_VENV, require_sam_venv, template
from tests.helpers.moto_securityhub import stored_findings
from tests.unit.cli.conftest import aws_env, clients_hooks, moto  # noqa: F401 (fixtures)
from trust_auditor.cli.main import main
from trust_auditor.events import parse_scan_request

MOTO_ACCOUNT = "123456789012"
PARTNER = "arn:aws:iam::444455556666:root"
CI_ROLE = "arn:aws:iam::222233334444:role/ci"
PLACEHOLDERS = {"NAME": "partner-data-access"}  # a role of the live account below
SAMCONFIG = tomllib.loads((REPO / "samconfig.toml").read_text())["default"]["global"]["parameters"]


def _arn(name: str) -> str:
    return f"arn:aws:iam::{MOTO_ACCOUNT}:role/{name}"


# The (role, resource or principal, rule) pairs each `trust-auditor <first two words>` reports
# (exit code 1; 0 if none).
OFFLINE = {
    "check-policy examples/partner-trust.json": {
        (PARTNER, "EXTERNAL_ID_MISSING"),
        (PARTNER, "WEAK_CONDITION"),
        (CI_ROLE, "WEAK_CONDITION"),
        (CI_ROLE, "ORG_CONDITION_MISSING"),  # --org-account makes it an organization account
    },
    "check-policy examples/cfn-roles.yaml": {
        ("AuditorRole", "EXTERNAL_ID_MISSING"),
        ("ImportedPrincipalRole", "UNPARSEABLE_POLICY"),
    },
    "check-policy examples/terraform-plan.json": {
        ("aws_iam_role.public", "PUBLIC_TRUST"),
        ("aws_iam_role.partner", "EXTERNAL_ID_MISSING"),
        ("aws_iam_role.computed", "UNPARSEABLE_POLICY"),
    },
    "scan --from-file": {
        (_arn("legacy-vendor"), "PUBLIC_TRUST"),
        (_arn("partner-data-access"), "EXTERNAL_ID_MISSING"),
        (_arn("sns-delivery"), "SERVICE_CONFUSED_DEPUTY"),
    },
}
LIVE = {  # against _create_account's roles
    "scan --lookup-org": {
        (_arn("partner-data-access"), "EXTERNAL_ID_MISSING"),
        (_arn("public-role"), "PUBLIC_TRUST"),
        (_arn("org-logging"), "ORG_CONDITION_MISSING"),  # the looked-up member account
        (_arn("sns-delivery"), "SERVICE_CONFUSED_DEPUTY"),
    },
    "findings --severity": {
        ("partner-data-access", "EXTERNAL_ID_MISSING"),
        ("public-role", "PUBLIC_TRUST"),
    },
    "findings --role": {("partner-data-access", "EXTERNAL_ID_MISSING")},
}
# Too slow to run here: (file that runs the target's recipe, how it runs it, the recipe).
EXERCISED_ELSEWHERE = {
    "demo": ("tests/integration/test_demo.py", '[sys.executable, "-m", "demo"]', "python -m demo"),
    "test": (".ci/run", "make test", "pytest -q tests"),
}
EVENT_PARSERS = {"ScanFunction": parse_scan_request}
SAM_SUBCOMMANDS = {("build",), ("deploy",), ("local", "invoke"), ("remote", "invoke")}


def _readme_commands() -> list[list[str]]:
    """The lines of the ```sh blocks and the inline `trust-auditor|make|sam ...` spans."""
    text = (REPO / "README.md").read_text()
    blocks = "".join(re.findall(r"^```sh\n(.*?)^```", text, re.MULTILINE | re.DOTALL))
    lines = blocks.replace("\\\n", " ").splitlines()
    lines += re.findall(r"`((?:trust-auditor|make|sam) [^`]+)`", text)
    commands = {tuple(shlex.split(line, comments=True)) for line in lines} - {()}
    return sorted([PLACEHOLDERS.get(word, word) for word in argv] for argv in commands)


def _options(argv: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """Positional words before the first option, and each option's values."""
    positional: list[str] = []
    options: dict[str, list[str]] = {}
    for word in argv:
        if word.startswith("-"):
            values = options.setdefault(word, [])
        elif options:
            values.append(word)
        else:
            positional.append(word)
    return positional, options


def _kind(argv: list[str]) -> str | None:
    key, positional = " ".join(argv[1:3]), _options(argv)[0]
    if argv[0] == "trust-auditor":
        return "offline" if key in OFFLINE else "live" if key in LIVE else None
    if argv[0] == "make" and len(argv) == 2:
        return "make"
    is_sam = argv[0] == "sam" and {tuple(positional[1:2]), tuple(positional[1:3])} & SAM_SUBCOMMANDS
    return "sam" if is_sam else None


COMMANDS = _readme_commands()


def _params(kind: str) -> list[Any]:
    return [pytest.param(a, id=shlex.join(a)) for a in COMMANDS if _kind(a) == kind]


def test_every_command_is_checked() -> None:
    assert len(COMMANDS) > 10 and [shlex.join(a) for a in COMMANDS if not _kind(a)] == []


def _rows(out: str, output_format: str) -> set[tuple[str, str]]:
    if output_format == "json":
        return {(f["principal"], f["rule"]) for f in json.loads(out)}
    if output_format == "sarif":
        log = json.loads(out)
        assert log["version"] == "2.1.0"
        results = log["runs"][0]["results"]
        places = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in results]
        return {(p["uri"], r["ruleId"]) for p, r in zip(places, results, strict=True)}
    header, *lines = out.split("\n\n", maxsplit=1)[0].splitlines()
    names = header.split()
    where = names.index("ROLE" if "ROLE" in names else "RESOURCE")
    cells = [line.split(None, len(names) - 1) for line in lines]
    return {(row[where], row[names.index("RULE")]) for row in cells}


@pytest.mark.parametrize("argv", _params("offline"))
def test_offline_command(argv: list[str]) -> None:
    completed = subprocess.run(
        [REPO / ".venv/bin/trust-auditor", *argv[1:]],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output_format = _options(argv)[1].get("--format", ["table"])[0]
    expected = OFFLINE[" ".join(argv[1:3])]
    rows = _rows(completed.stdout, output_format)
    assert (completed.returncode, rows) == (int(bool(expected)), expected), completed.stderr


def _create_account() -> None:
    organizations = boto3.client("organizations")
    organizations.create_organization(FeatureSet="ALL")
    status = organizations.create_account(Email="logs@example.com", AccountName="logs")
    member = status["CreateAccountStatus"]["AccountId"]
    iam = boto3.client("iam")
    for name, principal in [
        ("partner-data-access", {"AWS": PARTNER}),
        ("public-role", {"AWS": "*"}),
        ("org-logging", {"AWS": f"arn:aws:iam::{member}:root"}),
        ("sns-delivery", {"Service": "sns.amazonaws.com"}),  # LOW
    ]:
        statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
        trust = {"Version": "2012-10-17", "Statement": [statement]}
        iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))


@pytest.mark.usefixtures("moto")
@pytest.mark.parametrize("argv", _params("live"))
def test_aws_command(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    _create_account()
    if argv[1] == "findings":
        assert main(["scan", "--lookup-org", "--import"]) == 1
    capsys.readouterr()
    code, out = main(argv[1:]), capsys.readouterr().out
    expected = LIVE[" ".join(argv[1:3])]
    assert (code, _rows(out, "table")) == (int(bool(expected)), expected)
    if "--import" in argv:
        imported = {f["GeneratorId"].split("/")[1] for f in stored_findings(MOTO_ACCOUNT)}
        assert imported == {rule for _, rule in expected}
    if "--show-remediation" in argv:
        assert f"aws iam update-assume-role-policy --role-name {PLACEHOLDERS['NAME']}" in out


@pytest.mark.parametrize("argv", _params("make"))
def test_make_target(argv: list[str]) -> None:
    dry_run = subprocess.run(
        ["make", "-n", argv[1]], cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )
    assert dry_run.returncode == 0, dry_run.stderr
    if argv[1] in EXERCISED_ELSEWHERE:
        path, invocation, recipe = EXERCISED_ELSEWHERE[argv[1]]
        assert recipe in dry_run.stdout and invocation in (REPO / path).read_text()


@functools.cache
def _sam_help(subcommand: tuple[str, ...]) -> str:
    require_sam_venv()
    return subprocess.run(
        [SAM_VENV / "bin/sam", *subcommand, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout


@pytest.mark.parametrize("argv", _params("sam"))
def test_sam_command(argv: list[str]) -> None:
    positional, options = _options(argv)
    subcommand = next(s for s in SAM_SUBCOMMANDS if tuple(positional[1 : 1 + len(s)]) == s)
    unknown = [o for o in options if not re.search(rf"\s{re.escape(o)}\b", _sam_help(subcommand))]
    assert unknown == []
    home, default_stack = SAMCONFIG["region"], SAMCONFIG["stack_name"]
    region = options.get("--region", [home])[0]
    overrides = dict(value.split("=", 1) for value in options.get("--parameter-overrides", []))
    if region == home:
        assert options.get("--stack-name", [default_stack]) == [default_stack]
    else:  # only the AssumeRole part, writing to the home region's Security Hub
        assert (overrides["Deployment"], overrides["HomeRegion"]) == ("AssumeRoleOnly", home)
    for name, value in overrides.items():
        spec = template()["Parameters"][name]
        assert value in spec.get("AllowedValues", [value])
        assert re.fullmatch(spec.get("AllowedPattern", ".*"), value)
    resources = template()["Resources"]
    if subcommand == ("build",):
        sources = [
            r["Properties"].get("CodeUri") or r["Properties"].get("ContentUri")
            for r in resources.values()
            if r["Type"].startswith("AWS::Serverless::")
        ]
        assert sources and all((REPO / source).is_dir() for source in sources)
    if subcommand[-1] == "invoke":
        function, event_file = positional[3], (options.get("-e") or options["--event-file"])[0]
        assert resources[function]["Type"] == "AWS::Serverless::Function"
        EVENT_PARSERS[function](json.loads((REPO / event_file).read_text()))
        local_tier = (REPO / "tests/local_invoke/test_built_functions.py").read_text()
        event_name = event_file.removeprefix("events/")
        assert f'start_function("{function}").invoke_ok(_event("{event_name}"))' in local_tier

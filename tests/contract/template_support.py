"""template.yaml as the tests see it: parsed with the CloudFormation YAML tags, and as SAM
transforms it (through the aws-sam-cli tool venv, which holds samtranslator)."""

from __future__ import annotations

import functools
import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from trust_auditor.cli.iac import load_template_text

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
SAM_VENV = REPO / ".tools" / "sam"
SAM_PYTHON = SAM_VENV / "bin" / "python"
SAM_TRANSLATE = Path(__file__).with_name("sam_translate.py")

# What the functions' EventBridge rules are called after the SAM transform: <Function><Event>.
FUNCTION_DIRS = {
    "RoleChangeFunction": "role_change",
    "AssumeRoleFunction": "assume_role",
    "ScanFunction": "scan",
}


def require_sam_venv() -> None:
    if not SAM_PYTHON.exists():
        raise AssertionError(f"{SAM_VENV} is missing: run `make {SAM_VENV}/.installed` first")


@functools.cache
def template() -> dict[str, Any]:
    parsed: dict[str, Any] = load_template_text(TEMPLATE.read_text())
    return parsed


@functools.cache
def _translated(overrides: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    require_sam_venv()
    completed = subprocess.run(
        [str(SAM_PYTHON), str(SAM_TRANSLATE), str(TEMPLATE), *(f"{k}={v}" for k, v in overrides)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, f"SAM transform failed:\n{completed.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(completed.stdout)
    return result


def translated(**overrides: str) -> dict[str, Any]:
    """The CloudFormation SAM makes of the template, for these parameter values."""
    return _translated(tuple(sorted(overrides.items())))


def parameter_defaults() -> dict[str, str]:
    return {
        name: str(spec.get("Default", ""))
        for name, spec in (template().get("Parameters") or {}).items()
    }


def resolve(value: Any, parameters: Mapping[str, str]) -> Any:
    """A value with `Ref`s to parameters replaced (all the functions' environment uses)."""
    if isinstance(value, Mapping) and set(value) == {"Ref"}:
        return parameters[value["Ref"]]
    return value


def resources_of_type(resources: Mapping[str, Any], kind: str) -> dict[str, Any]:
    return {name: spec for name, spec in resources.items() if spec.get("Type") == kind}


def actions_of(statement: Mapping[str, Any]) -> list[str]:
    action = statement.get("Action", [])
    return [action] if isinstance(action, str) else list(action)

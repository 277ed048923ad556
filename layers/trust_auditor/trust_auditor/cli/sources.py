"""Reading the FILE argument and telling what it holds: a policy, a template or a plan."""

from __future__ import annotations

import enum
import json
import re
import sys
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import yaml

from trust_auditor.cli.errors import CliError
from trust_auditor.cli.iac import is_cloudformation, is_terraform, load_template_text

STDIN = "-"
NESTED_TOO_DEEPLY = "nested too deeply"
# A YAML file that fails to parse is still recognisably a template by its top-level keys.
_TEMPLATE_KEY_LINE = re.compile(r"^(AWSTemplateFormatVersion|Resources|Transform)\s*:", re.M)


class InputKind(enum.StrEnum):
    AUTO = "auto"
    POLICY = "policy"
    CLOUDFORMATION = "cloudformation"
    TERRAFORM = "terraform"


class LoadedInput(NamedTuple):
    kind: InputKind  # never AUTO
    content: Any  # POLICY: the raw text, as IAM would receive it; otherwise the parsed document


def read_text(name: str, stdin: BinaryIO | None = None) -> str:
    """The UTF-8 text of file `name` (or of stdin for `-`); CliError if it cannot be read."""
    label = "standard input" if name == STDIN else name
    try:
        data = (stdin or sys.stdin.buffer).read() if name == STDIN else Path(name).read_bytes()
    except OSError as error:
        raise CliError(f"cannot read {label}: {error.strerror or error}") from error
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CliError(f"cannot read {label}: not UTF-8 text (byte {error.start})") from error


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python parses
        return None


def _yaml_template(text: str) -> Any:
    try:
        return load_template_text(text)
    except yaml.YAMLError as error:
        raise CliError(f"not a readable CloudFormation template: {_yaml_problem(error)}") from error
    except RecursionError as error:
        raise CliError(f"not a readable CloudFormation template: {NESTED_TOO_DEEPLY}") from error


def _yaml_problem(error: yaml.YAMLError) -> str:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        return f"line {mark.line + 1}, column {mark.column + 1}: {error.problem}"
    return " ".join(str(error).split())[:300]


def load_input(text: str, kind: InputKind = InputKind.AUTO) -> LoadedInput:
    """Decide what `text` is. A policy is never an input error: the evaluator judges it."""
    if kind is InputKind.POLICY:
        return LoadedInput(kind, text)
    document = _json(text)
    if kind is InputKind.TERRAFORM:
        if not is_terraform(document):
            raise CliError("not a Terraform plan: expected `terraform show -json` output")
        return LoadedInput(kind, document)
    if kind is InputKind.CLOUDFORMATION:
        template = document if document is not None else _yaml_template(text)
        if not is_cloudformation(template):
            raise CliError("not a CloudFormation template: no Resources section")
        return LoadedInput(kind, template)
    if isinstance(document, dict) and "Statement" not in document:
        if is_cloudformation(document):
            return LoadedInput(InputKind.CLOUDFORMATION, document)
        if is_terraform(document):
            return LoadedInput(InputKind.TERRAFORM, document)
    if document is None and _TEMPLATE_KEY_LINE.search(text):
        template = _yaml_template(text)
        if is_cloudformation(template):
            return LoadedInput(InputKind.CLOUDFORMATION, template)
    return LoadedInput(InputKind.POLICY, text)

"""Print the CloudFormation that SAM makes of a template (run by the aws-sam-cli venv's python,
which has samtranslator: the test venv does not).

usage: python sam_translate.py TEMPLATE [NAME=VALUE ...]   (parameter overrides)
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

# samtranslator is in the aws-sam-cli venv that runs this script, not in the test venv.
from samtranslator.translator.transform import transform  # type: ignore[import-not-found]
from samtranslator.yaml_helper import yaml_parse  # type: ignore[import-not-found]

# What `sam deploy` would pass: the pseudo parameters of a deployment in us-east-1.
PSEUDO_PARAMETERS: dict[str, Any] = {
    "AWS::AccountId": "111122223333",
    "AWS::Partition": "aws",
    "AWS::Region": "us-east-1",
    "AWS::StackName": "trust-auditor",
    "AWS::StackId": "arn:aws:cloudformation:us-east-1:111122223333:stack/trust-auditor/x",
    "AWS::URLSuffix": "amazonaws.com",
    "AWS::NotificationARNs": [],
}


class _NoManagedPolicyLookup:
    """The template names managed policies by ARN only: SAM never needs to look one up."""

    def load(self) -> dict[str, str]:
        raise AssertionError("SAM asked for a managed policy by name: use its ARN")


# `sam deploy` uploads local code folders and puts their S3 location in the template.
_LOCAL_URI_PROPERTIES = {
    "AWS::Serverless::Function": "CodeUri",
    "AWS::Serverless::LayerVersion": "ContentUri",
}


def _as_packaged(template: dict[str, Any]) -> dict[str, Any]:
    for resource in template.get("Resources", {}).values():
        key = _LOCAL_URI_PROPERTIES.get(resource.get("Type"))
        properties = resource.get("Properties", {})
        if key and isinstance(properties.get(key), str):
            properties[key] = f"s3://packaged-by-sam-deploy/{properties[key].strip('/')}"
    return template


def main(argv: list[str]) -> None:
    # SAM reads the region from a boto3 session even when AWS::Region is given.
    os.environ["AWS_DEFAULT_REGION"] = PSEUDO_PARAMETERS["AWS::Region"]
    template = _as_packaged(yaml_parse(Path(argv[1]).read_text()))
    overrides = dict(arg.split("=", 1) for arg in argv[2:])
    output = transform(template, {**PSEUDO_PARAMETERS, **overrides}, _NoManagedPolicyLookup())
    json.dump(output, sys.stdout, indent=1, default=str)


if __name__ == "__main__":
    main(sys.argv)

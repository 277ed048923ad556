"""OIDC_SUBJECT_UNRESTRICTED: a web identity provider (GitHub, EKS, GitLab, Terraform Cloud,
Cognito, …) whose tokens are accepted without pinning whose they are (RULES.md §3-4)."""

from __future__ import annotations

from collections.abc import Iterator

from trust_auditor.analysis import PolicyAnalysis
from trust_auditor.guards import GuardType
from trust_auditor.model import Rule
from trust_auditor.principals import COGNITO_ISSUER, Kind, Principal
from trust_auditor.rules.base import Exposure, Fix

RULES = (Rule.OIDC_SUBJECT_UNRESTRICTED,)

# The condition that pins the subject, per issuer (placeholders the operator fills in).
_SUBJECT_PINS = (
    (
        "token.actions.githubusercontent.com",
        "StringLike",
        "sub",
        "repo:<OWNER>/<REPOSITORY>:ref:refs/heads/<BRANCH>",
    ),
    ("oidc.eks.", "StringEquals", "sub", "system:serviceaccount:<NAMESPACE>:<SERVICE_ACCOUNT>"),
    ("gitlab", "StringLike", "sub", "project_path:<GROUP>/<PROJECT>:ref_type:branch:ref:<BRANCH>"),
    (
        "app.terraform.io",
        "StringLike",
        "sub",
        "organization:<ORGANIZATION>:project:<PROJECT>:workspace:<WORKSPACE>:run_phase:*",
    ),
    (COGNITO_ISSUER, "StringEquals", "aud", "<IDENTITY_POOL_ID>"),
)


def subject_pin(principal: Principal) -> tuple[str, str, str]:
    """(operator, key, value) of the condition that pins this provider's subject."""
    issuer = principal.issuer or ""
    key_prefix = principal.value.split(":oidc-provider/", 1)[-1]
    for prefix, operator, claim, value in _SUBJECT_PINS:
        if issuer.startswith(prefix) or (prefix == "gitlab" and prefix in issuer):
            return operator, f"{key_prefix}:{claim}", value
    return "StringEquals", f"{key_prefix}:sub", "<SUBJECT>"


def check(analysis: PolicyAnalysis) -> Iterator[Exposure]:
    for principal in analysis.principals(Kind.WEB_IDENTITY):
        if analysis.blocked(principal):
            continue
        for grant in analysis.grants(principal):
            if grant.effective(GuardType.SUBJECT):
                continue
            weak = grant.weak(GuardType.SUBJECT)
            operator, key, value = subject_pin(principal)
            why = (
                "; ".join(f"{g.condition.describe()}: {g.reason}" for g in weak)
                if weak
                else f"no {key} condition"
            )
            detail = (
                f"{grant.statement.label} accepts any token of {principal.issuer} "
                f"for sts:AssumeRoleWithWebIdentity: {why}"
            )
            fix = Fix(
                grant.statement,
                principal.entry,
                add=((operator, key, value),),
                remove=tuple(g.condition for g in weak),
            )
            yield Exposure(Rule.OIDC_SUBJECT_UNRESTRICTED, principal.value, detail, fix)

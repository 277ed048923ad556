"""Titles and remediation advice of every rule, as data beside the checks."""

from __future__ import annotations

from types import MappingProxyType

from trust_auditor.model import Rule, TrustContext
from trust_auditor.text import sanitize

TITLE_LIMIT = 200

_TITLES = MappingProxyType(
    {
        Rule.PUBLIC_TRUST: "Anyone can assume role {role}",
        Rule.OIDC_SUBJECT_UNRESTRICTED: "Any identity of {principal} can assume role {role}",
        Rule.EXTERNAL_ID_MISSING: "Third-party {principal} can assume role {role} without an "
        "sts:ExternalId",
        Rule.ORG_CONDITION_MISSING: "Organization account {principal} can assume role {role} "
        "without an aws:PrincipalOrgID condition",
        Rule.WEAK_CONDITION: "A weak condition guards {principal} on role {role}",
        Rule.FOREIGN_ORG_TRUST: "Role {role} trusts another organization for {principal}",
        Rule.SERVICE_CONFUSED_DEPUTY: "Service {principal} can assume role {role} for any "
        "account (confused deputy)",
        Rule.DANGLING_PRINCIPAL: "Role {role} trusts a deleted principal {principal}",
        Rule.UNPARSEABLE_POLICY: "The trust policy of role {role} cannot be understood",
        Rule.OBSERVED_UNGUARDED_ASSUMPTION: "Account {principal} assumed role {role} without "
        "an sts:ExternalId",
    }
)

_ADVICE = MappingProxyType(
    {
        Rule.PUBLIC_TRUST: "Restrict the statement to your organization with an "
        'aws:PrincipalOrgID condition, or replace "*" with the accounts that need access.',
        Rule.OIDC_SUBJECT_UNRESTRICTED: "Pin the token's subject to your own repository, "
        "namespace, project or identity pool: replace the <…> placeholders in the condition.",
        Rule.EXTERNAL_ID_MISSING: "Require an sts:ExternalId agreed with the third party (a "
        "random value, unique to this role) so that it cannot be used as a confused deputy: "
        "replace <EXTERNAL_ID> and share the value with the partner.",
        Rule.ORG_CONDITION_MISSING: "Add an aws:PrincipalOrgID condition so the trust ends if "
        "the account leaves the organization.",
        Rule.WEAK_CONDITION: "Replace the weak condition by a positive operator (StringEquals) "
        "with literal values: no IfExists, ForAllValues, negation or wildcard.",
        Rule.FOREIGN_ORG_TRUST: "Name your own organization in aws:PrincipalOrgID; trust a "
        "partner organization's accounts by id with an sts:ExternalId instead.",
        Rule.SERVICE_CONFUSED_DEPUTY: "Add an aws:SourceAccount (or aws:SourceArn) condition "
        "naming your own account or resource.",
        Rule.DANGLING_PRINCIPAL: "Remove the deleted principal's unique id; if the principal "
        "was re-created, add its ARN again deliberately.",
        Rule.UNPARSEABLE_POLICY: "Read the role's trust policy and rewrite it as a valid "
        "document; until then the auditor treats it as unsafe.",
        Rule.OBSERVED_UNGUARDED_ASSUMPTION: "Require an sts:ExternalId (third parties) or an "
        "aws:PrincipalOrgID condition (your organization) for that account, and check whether "
        "the assumption was expected.",
    }
)


_SUMMARIES = MappingProxyType(
    {
        Rule.PUBLIC_TRUST: "Anyone may assume the role.",
        Rule.OIDC_SUBJECT_UNRESTRICTED: "An OIDC or Cognito principal is not pinned to a subject.",
        Rule.EXTERNAL_ID_MISSING: "A third-party account may assume without ExternalId/org guard.",
        Rule.ORG_CONDITION_MISSING: "An account of our org is trusted without an org guard.",
        Rule.WEAK_CONDITION: "A guard condition is present but does not restrict the caller.",
        Rule.FOREIGN_ORG_TRUST: "The org guard names an organization other than ours.",
        Rule.SERVICE_CONFUSED_DEPUTY: "A service principal is trusted without a source guard.",
        Rule.DANGLING_PRINCIPAL: "The trust names a principal that was deleted.",
        Rule.UNPARSEABLE_POLICY: "The trust policy is not one IAM would accept.",
        Rule.OBSERVED_UNGUARDED_ASSUMPTION: "Another account assumed the role without a guard.",
    }
)


def _role(context: TrustContext) -> str:
    return context.role.name if context.role else "(unknown)"


def title(rule: Rule, principal: str | None, context: TrustContext) -> str:
    text = _TITLES[rule].format(role=_role(context), principal=principal or "")
    return sanitize(text, TITLE_LIMIT)


def advice(rule: Rule) -> str:
    """What to do about a finding of this rule (its corrected policy is per finding)."""
    return _ADVICE[rule]


def summary(rule: Rule) -> str:
    """One sentence saying what the rule finds."""
    return _SUMMARIES[rule]

"""Trust policies of the IAM roles declared in CloudFormation/SAM templates and Terraform plans.

Pure functions: a parsed template or plan in, one `IacRole` per declared role out. Intrinsic
functions are resolved where the template alone decides their value (pseudo parameters,
parameters, same-template role ARNs, Sub/Join/Select/Split/FindInMap); anything else is left in
place as its `{"Fn::…": …}` dict, so the evaluator fails closed on it (UNPARSEABLE_POLICY), and
is listed in `IacRole.unresolved`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import yaml

CFN_ROLE = "AWS::IAM::Role"
CFN_USER = "AWS::IAM::User"
SAM_FUNCTION = "AWS::Serverless::Function"
TF_ROLE = "aws_iam_role"

# The short-form tags of CloudFormation YAML and the long form each stands for.
_SHORT_TAGS: Mapping[str, str] = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in [
            "Sub",
            "GetAtt",
            "Join",
            "If",
            "Select",
            "Split",
            "FindInMap",
            "ImportValue",
            "Base64",
            "Cidr",
            "GetAZs",
            "Equals",
            "Not",
            "And",
            "Or",
        ]
    },
}
_URL_SUFFIX = {"aws-cn": "amazonaws.com.cn"}
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")


class IacRole(NamedTuple):
    """One role declared in a template or plan, with its trust policy."""

    resource: str  # CloudFormation logical id or Terraform address
    document: Any  # the trust policy (dict, JSON string, or None when absent/unknown)
    role_name: str
    path: str = "/"
    role_arn: str | None = None  # known only for a Terraform role that already exists
    unresolved: tuple[str, ...] = ()  # what the document could not be resolved from


class CloudFormationLoader(yaml.SafeLoader):
    """YAML loader for templates: short-form intrinsic tags, and timestamps kept as text.

    CloudFormation reads `Version: 2012-10-17` as the string IAM expects; plain YAML would make
    it a date. An alias inside the node it names is refused: the template would be an endless
    structure that no JSON template can express.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._open_anchors: set[str] = set()  # of the collections being composed

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event: yaml.Event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) and event.anchor in self._open_anchors:
            # SafeLoader is the pure-Python parser: its marks are yaml.error.Mark.
            mark: Any = event.start_mark
            raise yaml.composer.ComposerError(
                None, None, f"alias *{event.anchor} refers to itself", mark
            )
        anchor = event.anchor if isinstance(event, yaml.CollectionStartEvent) else None
        if anchor is None:
            return super().compose_node(parent, index)
        self._open_anchors.add(anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._open_anchors.discard(anchor)


def _construct_intrinsic(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
    short = node.tag.removeprefix("!")
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if short == "GetAtt":  # `!GetAtt Resource.Attribute`
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {_SHORT_TAGS[short]: value}


def _construct_text(loader: yaml.SafeLoader, node: yaml.Node) -> str:
    return str(loader.construct_scalar(node))  # type: ignore[arg-type]


for _short in _SHORT_TAGS:
    CloudFormationLoader.add_constructor(f"!{_short}", _construct_intrinsic)
CloudFormationLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_text)


def load_template_text(text: str) -> Any:
    """Parse a template written in YAML (JSON is YAML too). Raises yaml.YAMLError."""
    return yaml.load(text, Loader=CloudFormationLoader)


def is_cloudformation(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("Resources"), dict)


def is_terraform(document: Any) -> bool:
    return (
        isinstance(document, dict)
        and "format_version" in document
        and any(key in document for key in ("planned_values", "resource_changes", "values"))
    )


# --- CloudFormation ------------------------------------------------------------------------


class _UnresolvableError(Exception):
    """An intrinsic function whose value the template alone does not decide."""


class _TemplateResolver:
    """Evaluates the intrinsic functions whose value the template itself decides."""

    def __init__(
        self,
        template: Mapping[str, Any],
        partition: str,
        account_id: str,
        parameters: Mapping[str, str],
    ) -> None:
        self._resources: Mapping[str, Any] = template.get("Resources") or {}
        mappings = template.get("Mappings")
        self._mappings: Mapping[str, Any] = mappings if isinstance(mappings, dict) else {}
        self._partition = partition
        self._account_id = account_id
        self._references: dict[str, str] = {
            "AWS::Partition": partition,
            "AWS::AccountId": account_id,
            "AWS::URLSuffix": _URL_SUFFIX.get(partition, "amazonaws.com"),
        }
        declared = template.get("Parameters")
        for name, spec in (declared if isinstance(declared, dict) else {}).items():
            default = spec.get("Default") if isinstance(spec, dict) else None
            if isinstance(default, str | int):
                self._references[name] = str(default)
        self._references.update(parameters)
        self._functions: Mapping[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Fn::Sub": self._sub,
            "Fn::GetAtt": self._get_att,
            "Fn::Join": self._join,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::FindInMap": self._find_in_map,
        }

    def resolve(self, value: Any, location: str, unresolved: list[str]) -> Any:
        """Return `value` with every decidable intrinsic replaced by its value."""
        if isinstance(value, list):
            return [
                self.resolve(item, f"{location}[{i}]", unresolved) for i, item in enumerate(value)
            ]
        if not isinstance(value, dict):
            return value
        function = _intrinsic_name(value)
        if function is None:
            return {k: self.resolve(v, f"{location}.{k}", unresolved) for k, v in value.items()}
        try:
            return self._evaluate(value)
        except _UnresolvableError as reason:
            unresolved.append(f"{function} at {location} ({reason})")
            return value

    def _evaluate(self, value: Any) -> Any:
        function = _intrinsic_name(value) if isinstance(value, dict) else None
        if function is None:
            if isinstance(value, list):
                return [self._evaluate(item) for item in value]
            return value
        evaluate = self._functions.get(function)
        if evaluate is None:
            raise _UnresolvableError("not decided by the template")
        return evaluate(value[function])

    def _text(self, value: Any) -> str:
        result = self._evaluate(value)
        if isinstance(result, bool) or not isinstance(result, str | int):
            raise _UnresolvableError("not a string")
        return str(result)

    def _ref(self, name: Any) -> str:
        if not isinstance(name, str):
            raise _UnresolvableError("malformed Ref")
        if name in self._references:
            return self._references[name]
        resource = self._resources.get(name)
        if _resource_type(resource) == CFN_ROLE:
            role_name = _literal_name(resource, "RoleName")
            if role_name is not None:
                return role_name
        raise _UnresolvableError(f"Ref {name[:80]}")

    def _get_att(self, argument: Any) -> str:
        if not (isinstance(argument, list) and len(argument) == 2):
            raise _UnresolvableError("malformed GetAtt")
        logical_id, attribute = (self._text(part) for part in argument)
        resource = self._resources.get(logical_id)
        kind = _resource_type(resource)
        if attribute == "Arn" and kind in (CFN_ROLE, CFN_USER):
            name_key, arn_kind = ("RoleName", "role") if kind == CFN_ROLE else ("UserName", "user")
            name = _literal_name(resource, name_key) or logical_id
            path = _literal_name(resource, "Path") or "/"
            return f"arn:{self._partition}:iam::{self._account_id}:{arn_kind}{path}{name}"
        raise _UnresolvableError(f"GetAtt {logical_id[:80]}.{attribute[:40]}")

    def _sub(self, argument: Any) -> str:
        template, variables = (argument, {}) if isinstance(argument, str) else _pair(argument)
        if not isinstance(template, str) or not isinstance(variables, dict):
            raise _UnresolvableError("malformed Sub")

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):  # `${!Literal}` is the text `${Literal}`
                return "${" + name[1:] + "}"
            if name in variables:
                return self._text(variables[name])
            if "." in name and name not in self._references:
                return self._get_att(name.split(".", 1))
            return self._ref(name)

        return _SUB_VARIABLE.sub(substitute, template)

    def _join(self, argument: Any) -> str:
        delimiter, parts = _pair(argument)
        values = self._evaluate(parts)
        if not isinstance(values, list):
            raise _UnresolvableError("malformed Join")
        return self._text(delimiter).join(self._text(part) for part in values)

    def _select(self, argument: Any) -> Any:
        index, items = _pair(argument)
        values = self._evaluate(items)
        position = self._text(index)
        if not (isinstance(values, list) and position.isdigit() and int(position) < len(values)):
            raise _UnresolvableError("malformed Select")
        return self._evaluate(values[int(position)])

    def _split(self, argument: Any) -> list[str]:
        delimiter, text = _pair(argument)
        return self._text(text).split(self._text(delimiter))

    def _find_in_map(self, argument: Any) -> Any:
        if not (isinstance(argument, list) and len(argument) == 3):
            raise _UnresolvableError("malformed FindInMap")
        value: Any = self._mappings
        for key in argument:
            name = self._text(key)
            if not isinstance(value, dict) or name not in value:
                raise _UnresolvableError(f"FindInMap key {name[:80]}")
            value = value[name]
        return value


def _intrinsic_name(value: dict[Any, Any]) -> str | None:
    if len(value) != 1:
        return None
    (key,) = value
    return key if isinstance(key, str) and (key == "Ref" or key.startswith("Fn::")) else None


def _pair(argument: Any) -> tuple[Any, Any]:
    if not (isinstance(argument, list) and len(argument) == 2):
        raise _UnresolvableError("expected a two-item list")
    return argument[0], argument[1]


def _resource_type(resource: Any) -> str | None:
    kind = resource.get("Type") if isinstance(resource, dict) else None
    return kind if isinstance(kind, str) else None


def _properties(resource: Any) -> Mapping[str, Any]:
    properties = resource.get("Properties") if isinstance(resource, dict) else None
    return properties if isinstance(properties, dict) else {}


def _literal_name(resource: Any, key: str) -> str | None:
    value = _properties(resource).get(key)
    return value if isinstance(value, str) and value else None


def roles_from_cloudformation(
    template: Mapping[str, Any],
    *,
    account_id: str,
    partition: str = "aws",
    parameters: Mapping[str, str] | None = None,
) -> list[IacRole]:
    """Every AWS::IAM::Role, and every SAM function's generated role given its own trust policy.

    A SAM function without `AssumeRolePolicyDocument` gets SAM's implicit Lambda trust: skipped.
    `account_id` stands for `AWS::AccountId`, the account the stack deploys into.
    """
    resolver = _TemplateResolver(template, partition, account_id, parameters or {})
    roles = []
    for logical_id, resource in (template.get("Resources") or {}).items():
        kind = _resource_type(resource)
        properties = _properties(resource)
        if kind == CFN_ROLE:
            role_name = _literal_name(resource, "RoleName") or logical_id
            path = _literal_name(resource, "Path") or "/"
        elif kind == SAM_FUNCTION and "AssumeRolePolicyDocument" in properties:
            if "Role" in properties:  # the function uses an existing role: nothing generated
                continue
            role_name, path = f"{logical_id}Role", "/"  # the name SAM gives the generated role
        else:
            continue
        unresolved: list[str] = []
        document = properties.get("AssumeRolePolicyDocument")
        if document is None:
            unresolved.append("AssumeRolePolicyDocument is missing")
        document = resolver.resolve(document, "AssumeRolePolicyDocument", unresolved)
        roles.append(IacRole(str(logical_id), document, role_name, path, None, tuple(unresolved)))
    return roles


# --- Terraform -----------------------------------------------------------------------------


def _modules(module: Any) -> Iterator[Mapping[str, Any]]:
    if isinstance(module, dict):
        yield module
        for child in module.get("child_modules") or ():
            yield from _modules(child)


def _terraform_role(address: str, local_name: str, values: Mapping[str, Any]) -> IacRole:
    document = values.get("assume_role_policy")
    unresolved = () if document else ("assume_role_policy is known only after apply",)
    name = values.get("name")
    path = values.get("path")
    arn = values.get("arn")
    return IacRole(
        address,
        document or None,
        name if isinstance(name, str) and name else local_name,
        path if isinstance(path, str) and path else "/",
        arn if isinstance(arn, str) and arn else None,
        unresolved,
    )


def roles_from_terraform(plan: Mapping[str, Any]) -> list[IacRole]:
    """Every managed `aws_iam_role` of `terraform show -json` output (a plan or a state).

    Planned values (root and child modules) come first; a resource change not among them adds
    its `change.after`. A role being destroyed has no trust policy left to check.
    """
    roles: dict[str, IacRole] = {}
    for root_key in ("planned_values", "values"):
        section = plan.get(root_key)
        root = section.get("root_module") if isinstance(section, dict) else None
        for module in _modules(root):
            for resource in module.get("resources") or ():
                if _is_terraform_role(resource) and resource["address"] not in roles:
                    values = resource.get("values")
                    roles[resource["address"]] = _terraform_role(
                        resource["address"],
                        str(resource.get("name", "role")),
                        values if isinstance(values, dict) else {},
                    )
    for change in plan.get("resource_changes") or ():
        after = change.get("change", {}).get("after") if isinstance(change, dict) else None
        if (
            _is_terraform_role(change)
            and change["address"] not in roles
            and isinstance(after, dict)
        ):
            roles[change["address"]] = _terraform_role(
                change["address"], str(change.get("name", "role")), after
            )
    return list(roles.values())


def _is_terraform_role(resource: Any) -> bool:
    return (
        isinstance(resource, dict)
        and resource.get("type") == TF_ROLE
        and resource.get("mode", "managed") == "managed"
        and isinstance(resource.get("address"), str)
    )

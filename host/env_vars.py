"""Names and values a project may put in its guest's `env`: variables, secrets, KV bindings.

A name is what JavaScript and Python both accept as a property (`env.API_URL`): a letter or
`_`, then letters, digits or `_`. `ASSETS` is the asset binding's. Limits follow Workers':
at most 128 variables and secrets together, each value at most 5 KiB of UTF-8.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from host.errors import DeployError

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
NAMESPACE = re.compile(r"[A-Za-z0-9_-]{1,64}")
RESERVED = frozenset({"ASSETS"})
MAX_NAMES = 128
MAX_VALUE_BYTES = 5 * 1024


def check_name(name: object, what: str = "variable") -> str:
    """`name` if a guest can read it as `env.NAME`; DeployError otherwise."""
    if not isinstance(name, str) or NAME.fullmatch(name) is None:
        raise DeployError(
            f"{what} name {name!r} is not valid: use letters, digits and _, not starting with"
            " a digit (at most 128 characters)"
        )
    if name in RESERVED:
        raise DeployError(f"{what} name {name} is taken by the asset binding")
    return name


def check_value(name: str, value: object, what: str = "variable") -> str:
    """`value` if it is text of at most 5 KiB; DeployError otherwise."""
    if not isinstance(value, str):
        raise DeployError(f"{what} {name} must be text, not {type(value).__name__}")
    if len(value.encode("utf-8", "surrogatepass")) > MAX_VALUE_BYTES:
        raise DeployError(f"{what} {name} is longer than {MAX_VALUE_BYTES} bytes")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise DeployError(f"{what} {name} is not valid Unicode text")
    return value


def check_vars(variables: object) -> dict[str, str]:
    """A checked copy of a deployment's variables (a JSON object of names to text)."""
    if not isinstance(variables, Mapping):
        raise DeployError("vars must be an object of names to text")
    return {check_name(n): check_value(n, v) for n, v in variables.items()}


def check_kv_namespaces(bindings: object) -> dict[str, str]:
    """A checked copy of a deployment's KV bindings (binding name → namespace id)."""
    if not isinstance(bindings, Mapping):
        raise DeployError("kv_namespaces must be an object of binding names to namespace ids")
    checked = {}
    for binding, namespace in bindings.items():
        check_name(binding, "KV binding")
        if not isinstance(namespace, str) or NAMESPACE.fullmatch(namespace) is None:
            raise DeployError(
                f"KV namespace id {namespace!r} of {binding} is not valid: use letters, digits,"
                " _ and - (at most 64)"
            )
        checked[binding] = namespace
    return checked


def check_count(
    variables: Mapping[str, str],
    secrets: Mapping[str, str],
    kv_namespaces: Mapping[str, str] | None = None,
) -> None:
    """Refuse a deployment with too many names, or a name given twice (a variable and a
    secret, say)."""
    kinds = [("variable", variables), ("secret", secrets), ("KV binding", kv_namespaces or {})]
    for index, (kind, names) in enumerate(kinds):
        for other_kind, others in kinds[index + 1 :]:
            both = sorted(set(names) & set(others))
            if both:
                raise DeployError(f"{both[0]} is both a {kind} and a {other_kind}: rename one")
    if len(variables) + len(secrets) > MAX_NAMES:
        raise DeployError(f"at most {MAX_NAMES} variables and secrets together")

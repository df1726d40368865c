"""Names and values a project may put in its guest's `env`: variables and secrets.

A name is what JavaScript and Python both accept as a property (`env.API_URL`): a letter or
`_`, then letters, digits or `_`. `ASSETS` is the asset binding's. Limits follow Workers':
at most 128 variables and secrets together, each value at most 5 KiB of UTF-8.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from host.errors import DeployError

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")
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


def check_count(variables: Mapping[str, str], secrets: Mapping[str, str]) -> None:
    """Refuse a deployment with too many names, or a name both a variable and a secret."""
    both = sorted(set(variables) & set(secrets))
    if both:
        raise DeployError(f"{both[0]} is both a variable and a secret: rename one")
    if len(variables) + len(secrets) > MAX_NAMES:
        raise DeployError(f"at most {MAX_NAMES} variables and secrets together")

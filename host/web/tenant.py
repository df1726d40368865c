"""Tenant routing: which project a request is for, from its Host header."""

from __future__ import annotations

import re

HOST = re.compile(r"(?P<name>[a-z0-9._-]+?)\.?(?::(?P<port>[0-9]{1,5}))?")


def normalized_host(host: str) -> str | None:
    """`name[:port]` in lower case, or None if the Host header is not a plain DNS name."""
    host = host.strip().lower()
    match = HOST.fullmatch(host)
    if match is None:
        return None
    port = match.group("port")
    return match.group("name") + (f":{port}" if port else "")


def project_label(host: str, base_domain: str) -> str | None:
    """The `{project}` of `{project}.{base_domain}[:port]`, or None for the control plane."""
    normal = normalized_host(host)
    if normal is None:
        return None
    name = normal.partition(":")[0]
    suffix = "." + base_domain.lower().strip(".")
    if not name.endswith(suffix):
        return None
    return name[: -len(suffix)] or None

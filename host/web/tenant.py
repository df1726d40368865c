"""Tenant routing: which project a request is for, from its Host header."""

from __future__ import annotations


def project_label(host: str, base_domain: str) -> str | None:
    """The `{project}` of `{project}.{base_domain}[:port]`, or None for the control plane."""
    name = host.strip().lower()
    if name.startswith("["):
        return None
    name = name.rsplit(":", 1)[0] if ":" in name else name
    name = name.rstrip(".")
    suffix = "." + base_domain.lower().strip(".")
    if not name.endswith(suffix):
        return None
    label = name[: -len(suffix)]
    return label or None

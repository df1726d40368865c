"""Cookies a guest sets stay on its own project's site."""

from __future__ import annotations


def confine_cookie(value: str, site: str) -> str:
    """Drop a `Domain` attribute that would share the cookie beyond `site` (and subdomains).

    Without this, a project at `a.example.com` could set `Domain=example.com` and have the
    cookie sent to every other project. A cookie without `Domain` is host-only.
    """
    parts = value.split(";")
    kept = [parts[0]]
    for attribute in parts[1:]:
        name, _, domain = attribute.partition("=")
        if name.strip().lower() == "domain" and not _within(domain.strip().lstrip("."), site):
            continue
        kept.append(attribute)
    return ";".join(kept)


def _within(domain: str, site: str) -> bool:
    """Whether `domain` is `site` or one of its subdomains."""
    domain = domain.lower()
    return domain == site or domain.endswith("." + site)

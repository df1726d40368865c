"""Tenant routing from the Host header."""

import pytest

from host.web.tenant import project_label


@pytest.mark.parametrize(
    ("host", "label"),
    [
        ("demo.localhost", "demo"),
        ("demo.localhost:8080", "demo"),
        ("DEMO.LocalHost:8080", "demo"),
        ("demo.localhost.", "demo"),
        ("a.b.localhost", "a.b"),
        ("localhost:8080", None),
        ("127.0.0.1:8080", None),
        ("[::1]:8080", None),
        (".localhost", None),
        ("evil-localhost", None),
        ("demo.localhost.evil.com", None),
        ("", None),
    ],
)
def test_project_label(host: str, label: str | None) -> None:
    assert project_label(host, "localhost") == label


def test_other_base_domain() -> None:
    assert project_label("shop.apps.example.com:443", "apps.example.com") == "shop"
    assert project_label("apps.example.com", "apps.example.com") is None

"""One pass: a compressed answer carries the headers its identity form would have."""

from __future__ import annotations

import itertools

import pytest

from host.assets.build import build_assets
from host.assets.handler import AssetResponse, handle_asset_request
from host.assets.options import AssetOptions

TEXT = b"words worth compressing, again and again " * 80
SITE = {
    "/app.js": b"export const x = 'compress me';\n" * 80,
    "/app.0123abcd.js": b"export const y = 'hashed and compressed';\n" * 80,
    "/index.html": b"<!doctype html><p>" + TEXT,
    "/404.html": b"<!doctype html><h1>lost</h1>" + TEXT,
    "/logo.png": b"\x89PNG" + bytes(range(256)) * 4,
    "/_headers": b"/*\n  X-Frame-Options: DENY\n/app.js\n  Cache-Control: no-store\n",
    "/_redirects": b"/spa/* / 200\n",
}
MANIFEST = build_assets(SITE).manifest
APP = MANIFEST.files["/app.js"]

PATHS = ["/app.js", "/app.0123abcd.js", "/", "/logo.png", "/missing", "/spa/deep/route"]
MODES = ["none", "404-page", "single-page-application"]
EXTRA: list[dict[str, str]] = [
    {},
    {"authorization": "Bearer x"},
    {"accept": "text/html"},
    {"if-none-match": APP.etag},
    {"if-none-match": '"nothing-like-it"'},
    {"range": "bytes=0-9"},
]
ACCEPT = ["br", "gzip", "gzip, br", "br;q=0, gzip"]
CASES = list(itertools.product(PATHS, MODES, ["GET", "HEAD"], range(len(EXTRA)), ACCEPT))


def ask(path: str, mode: str, method: str, headers: dict[str, str]) -> AssetResponse:
    """Run the handler for the site under a `not_found_handling` mode."""
    options = AssetOptions.from_mapping({"not_found_handling": mode})
    return handle_asset_request(MANIFEST, method, path, "", headers, options, "demo.localhost")


@pytest.mark.parametrize(("path", "mode", "method", "extra", "accept"), CASES)
def test_identity_headers_are_what_a_client_without_encodings_gets(
    path: str, mode: str, method: str, extra: int, accept: str
) -> None:
    headers = {**EXTRA[extra], "accept-encoding": accept}
    answer = ask(path, mode, method, headers)
    plain = ask(path, mode, method, EXTRA[extra])
    if not answer.encoding:
        assert answer.identity_headers is None
        return
    assert answer.status in (200, 404)
    assert answer.identity_headers == plain.headers
    assert (plain.status, plain.file, plain.encoding) == (answer.status, answer.file, "")


def test_a_compressed_200_names_both_etags() -> None:
    answer = ask("/app.js", "none", "GET", {"accept-encoding": "br"})
    assert answer.identity_headers is not None
    sent, identity = dict(answer.headers), dict(answer.identity_headers)
    assert (sent["content-encoding"], sent["etag"]) == ("br", APP.representation("br").etag)
    assert "content-encoding" not in identity
    assert (identity["etag"], identity["content-length"]) == (APP.etag, str(APP.size))
    assert identity["cache-control"] == sent["cache-control"] == "no-store"
    assert identity["x-frame-options"] == "DENY"


def test_a_404_page_sent_compressed_carries_its_identity_headers() -> None:
    answer = ask("/missing", "404-page", "GET", {"accept-encoding": "gzip"})
    page = MANIFEST.files["/404.html"]
    assert (answer.status, answer.file, answer.encoding) == (404, "/404.html", "gzip")
    assert answer.identity_headers is not None
    identity = dict(answer.identity_headers)
    assert identity["content-length"] == str(page.size)
    assert "content-encoding" not in identity


@pytest.mark.parametrize(
    "headers",
    [{}, {"accept-encoding": "identity"}, {"accept-encoding": "br", "range": "bytes=0-1"}],
)
def test_identity_answers_carry_none(headers: dict[str, str]) -> None:
    answer = ask("/app.js", "none", "GET", headers)
    assert (answer.encoding, answer.identity_headers) == ("", None)


def test_an_incompressible_file_is_always_identity() -> None:
    answer = ask("/logo.png", "none", "GET", {"accept-encoding": "br, gzip"})
    assert (answer.status, answer.encoding, answer.identity_headers) == (200, "", None)

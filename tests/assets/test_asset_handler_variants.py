"""Compressed variants through the handler (spec: Beyond the model, Pre-compressed variants)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from host.assets.build import build_assets
from host.assets.handler import AssetResponse, handle_asset_request
from host.assets.manifest import Manifest
from host.assets.options import AssetOptions

JS = b"export const greeting = 'hello, compressed world';\n" * 80
HTML = b"<!doctype html><p>" + b"a page worth compressing " * 60
SITE = {
    "/app.js": JS,
    "/index.html": HTML,
    "/404.html": HTML,
    "/logo.png": b"\x89PNG" + bytes(range(256)) * 4,
    "/small.js": b"x=1",
}
MANIFEST = build_assets(SITE).manifest
APP = MANIFEST.files["/app.js"]
IDENTITY_TAG = APP.etag
BR_TAG = APP.representation("br").etag
GZ_TAG = APP.representation("gzip").etag
BR_SIZE = APP.representation("br").size
GZ_SIZE = APP.representation("gzip").size


def ask(
    path: str = "/app.js",
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
    manifest: Manifest = MANIFEST,
    **options: str,
) -> AssetResponse:
    """Run the handler."""
    opts = AssetOptions.from_mapping(options)
    return handle_asset_request(manifest, method, path, "", headers or {}, opts)


def header(response: AssetResponse, name: str) -> str | None:
    """One header value, or None."""
    values = [value for key, value in response.headers if key == name]
    assert len(values) <= 1, f"{name} appears {len(values)} times"
    return values[0] if values else None


NEGOTIATION = [
    (None, ""),
    ("", ""),
    ("gzip, deflate, br, zstd", "br"),
    ("gzip, deflate", "gzip"),
    ("br", "br"),
    ("gzip", "gzip"),
    ("identity", ""),
    ("*", "br"),
    ("br;q=0", ""),
    ("br;q=0, gzip", "gzip"),
    ("br;q=0.5, gzip", "gzip"),
    ("br, gzip;q=0.5", "br"),
    ("*;q=0", ""),
    ("identity;q=0", ""),
    ("deflate", ""),
    ("zstd, compress", ""),
    ("GZIP", "gzip"),
    ("x-gzip", "gzip"),
]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(("accept", "encoding"), NEGOTIATION)
def test_negotiation(method: str, accept: str | None, encoding: str) -> None:
    headers = {} if accept is None else {"accept-encoding": accept}
    response = ask(headers=headers, method=method)
    rep = APP.representation(encoding)
    assert response.status == 200
    assert response.encoding == encoding
    assert response.file == (None if method == "HEAD" else "/app.js")
    assert header(response, "content-encoding") == (encoding or None)
    assert header(response, "content-length") == str(rep.size)
    assert header(response, "etag") == rep.etag
    assert header(response, "vary") == "Accept-Encoding"
    assert header(response, "content-type") == "application/javascript; charset=utf-8"
    assert header(response, "accept-ranges") == "bytes"


def test_head_headers_equal_get_headers_for_every_representation() -> None:
    for accept in ("br", "gzip", "identity"):
        get = ask(headers={"accept-encoding": accept})
        head = ask(headers={"accept-encoding": accept}, method="HEAD")
        assert head.headers == get.headers


def test_compressed_headers_in_order() -> None:
    response = ask(headers={"accept-encoding": "br"})
    assert response.headers == (
        ("content-type", "application/javascript; charset=utf-8"),
        ("etag", BR_TAG),
        ("cache-control", "public, max-age=0, must-revalidate"),
        ("content-encoding", "br"),
        ("content-length", str(BR_SIZE)),
        ("accept-ranges", "bytes"),
        ("x-content-type-options", "nosniff"),
        ("vary", "Accept-Encoding"),
    )


@pytest.mark.parametrize("path", ["/logo.png", "/small.js"])
def test_files_without_variants_never_vary(path: str) -> None:
    response = ask(path, {"accept-encoding": "gzip, br"})
    assert response.encoding == ""
    assert header(response, "vary") is None
    assert header(response, "content-encoding") is None


NOT_MODIFIED = [
    # (If-None-Match, Accept-Encoding, ETag the 304 names)
    (IDENTITY_TAG, "", IDENTITY_TAG),
    (BR_TAG, "br", BR_TAG),
    (GZ_TAG, "gzip", GZ_TAG),
    # a cached copy of another representation is still current
    (GZ_TAG, "br", GZ_TAG),
    (IDENTITY_TAG, "br, gzip", IDENTITY_TAG),
    (BR_TAG, "", BR_TAG),
    # several tags: the one this request would get wins
    (f"{GZ_TAG}, {BR_TAG}", "br", BR_TAG),
    (f"{GZ_TAG}, {BR_TAG}", "gzip", GZ_TAG),
    (f"{BR_TAG}, {IDENTITY_TAG}", "", IDENTITY_TAG),
    (f'W/{BR_TAG}, "other"', "br", BR_TAG),
]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(("none_match", "accept", "etag"), NOT_MODIFIED)
def test_if_none_match_with_any_variant(
    method: str, none_match: str, accept: str, etag: str
) -> None:
    response = ask(headers={"if-none-match": none_match, "accept-encoding": accept}, method=method)
    assert response.status == 304
    assert response.headers == (
        ("etag", etag),
        ("content-type", "application/javascript; charset=utf-8"),
        ("cache-control", "public, max-age=0, must-revalidate"),
        ("vary", "Accept-Encoding"),
    )
    assert (response.file, response.body) == (None, b"")


@pytest.mark.parametrize("none_match", ['"other"', "*", BR_TAG.strip('"'), BR_TAG.upper()])
def test_if_none_match_misses(none_match: str) -> None:
    response = ask(headers={"if-none-match": none_match, "accept-encoding": "br"})
    assert (response.status, response.encoding) == (200, "br")


def test_range_requests_are_never_compressed() -> None:
    response = ask(headers={"range": "bytes=0-9", "accept-encoding": "br, gzip"})
    assert (response.status, response.encoding) == (206, "")
    assert header(response, "content-encoding") is None
    assert header(response, "etag") == IDENTITY_TAG
    assert header(response, "vary") == "Accept-Encoding"


def test_ignored_range_still_not_compressed() -> None:
    for value in ("bytes=0-1,2-3", "bytes=x", "items=0-1"):
        response = ask(headers={"range": value, "accept-encoding": "br"})
        assert (response.status, response.encoding) == (200, "")
        assert header(response, "vary") == "Accept-Encoding"


def test_not_found_page_is_compressed_too() -> None:
    response = ask("/missing", {"accept-encoding": "gzip"}, not_found_handling="404-page")
    assert (response.status, response.file, response.encoding) == (404, "/404.html", "gzip")
    rep = MANIFEST.files["/404.html"].representation("gzip")
    assert header(response, "content-length") == str(rep.size)
    assert header(response, "content-encoding") == "gzip"
    assert header(response, "vary") == "Accept-Encoding"
    assert header(response, "etag") is None


def test_spa_fallback_varies_on_both() -> None:
    headers = {"accept": "text/html", "accept-encoding": "br"}
    response = ask("/route", headers, not_found_handling="single-page-application")
    assert (response.status, response.file, response.encoding) == (200, "/index.html", "br")
    assert header(response, "vary") == "Accept, Accept-Encoding"
    tag = MANIFEST.files["/index.html"].representation("br").etag
    again = ask(
        "/route", {**headers, "if-none-match": tag}, not_found_handling="single-page-application"
    )
    assert again.status == 304
    assert header(again, "vary") == "Accept, Accept-Encoding"


def test_redirects_and_misses_do_not_vary_on_encoding() -> None:
    assert header(ask("/index.html", {"accept-encoding": "br"}), "vary") is None
    assert header(ask("/nope", {"accept-encoding": "br"}), "vary") is None

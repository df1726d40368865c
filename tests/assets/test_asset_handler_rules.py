"""`_headers` and `_redirects` through the handler (spec: Beyond the model, rule files)."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host.assets.build import build_assets
from host.assets.handler import AssetResponse, handle_asset_request
from host.assets.manifest import Manifest, etag_for
from host.assets.options import AssetOptions

HEADERS = """\
/*
  X-Frame-Options: DENY
/secure/*
  Cache-Control: no-store
  ! X-Content-Type-Options
/movies/:title
  X-Movie: :title
https://:tenant.example.com/*
  X-Tenant: :tenant
"""

REDIRECTS = """\
/old /about 301
/about /about-us 308
/gone /nowhere.html 200
/see /about 303
/keep /about 307
/app.js /app-v2.js 302
/blog/:year/* /posts/:year/:splat 301
/ext/* https://other.example/:splat
/spa/* / 200
/nice-about /about.html 200
/chain /spa/x 200
/docs-alias/* /docs/:splat 200
"""

SITE = {
    "/index.html": b"<h1>home</h1>",
    "/about.html": b"<h1>about</h1>",
    "/about-us.html": b"<h1>about us</h1>",
    "/app.js": b"old()",
    "/app-v2.js": b"new()",
    "/secure/page.html": b"secret",
    "/movies/up.html": b"up",
    "/404.html": b"<h1>lost</h1>",
    "/docs/index.html": b"docs",
    "/_headers": HEADERS.encode(),
    "/_redirects": REDIRECTS.encode(),
}
MANIFEST = build_assets(SITE).manifest


def ask(
    path: str,
    headers: Mapping[str, str] | None = None,
    method: str = "GET",
    query: str = "",
    host: str = "",
    manifest: Manifest = MANIFEST,
    **options: str,
) -> AssetResponse:
    """Run the handler."""
    opts = AssetOptions.from_mapping(options)
    return handle_asset_request(manifest, method, path, query, headers or {}, opts, host)


def header(response: AssetResponse, name: str) -> str | None:
    """One header value, or None."""
    values = [value for key, value in response.headers if key == name]
    assert len(values) <= 1
    return values[0] if values else None


REDIRECTED = [
    ("/old", "", 301, "/about"),
    ("/old", "a=1", 301, "/about?a=1"),
    ("/%6Fld", "", 301, "/about"),
    ("//old", "", 301, "/about"),
    ("/x/../old", "", 301, "/about"),
    ("/see", "", 303, "/about"),
    ("/keep", "", 307, "/about"),
    # redirects win over existing assets
    ("/about", "", 308, "/about-us"),
    ("/app.js", "", 302, "/app-v2.js"),
    ("/blog/2024/a/b", "", 301, "/posts/2024/a/b"),
    ("/blog/2024/", "", 301, "/posts/2024/"),
    ("/blog/2024/日本", "", 301, "/posts/2024/%E6%97%A5%E6%9C%AC"),
    ("/ext/a/b", "q=1", 302, "https://other.example/a/b?q=1"),
]


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "DELETE", "OPTIONS"])
@pytest.mark.parametrize(("path", "query", "status", "location"), REDIRECTED)
def test_redirect_rules(method: str, path: str, query: str, status: int, location: str) -> None:
    response = ask(path, method=method, query=query)
    assert response.status == status
    deny = ("x-frame-options", "DENY")
    assert response.headers == (("location", location), ("content-length", "0"), deny)
    assert (response.body, response.file) == (b"", None)


REWRITTEN = [
    # (request path, file served)
    ("/spa/x", "/index.html"),
    ("/spa/deep/route/", "/index.html"),
    ("/nice-about", "/about.html"),
    ("/docs-alias/", "/docs/index.html"),
    # rewrites do not chain: /chain → /spa/x, which is not an asset
]


@pytest.mark.parametrize(("path", "file"), REWRITTEN)
def test_rewrites_serve_in_place(path: str, file: str) -> None:
    response = ask(path)
    assert (response.status, response.file) == (200, file)
    assert header(response, "location") is None
    assert header(response, "etag") == etag_for(SITE[file])


def test_rewrites_do_not_chain() -> None:
    assert ask("/chain").status == 404


def test_rewrite_to_a_missing_file_uses_not_found_handling() -> None:
    assert (ask("/gone").status, ask("/gone").body) == (404, b"Not Found")
    page = ask("/gone", not_found_handling="404-page")
    assert (page.status, page.file) == (404, "/404.html")


def test_rewrite_honours_methods_and_conditionals() -> None:
    assert ask("/spa/x", method="POST").status == 405
    head = ask("/spa/x", method="HEAD")
    assert (head.status, head.file) == (200, None)
    tag = etag_for(SITE["/index.html"])
    assert ask("/spa/x", {"if-none-match": tag}).status == 304
    assert ask("/spa/x", {"range": "bytes=0-1"}).status == 206


def test_rewrite_needs_no_canonical_redirect() -> None:
    assert ask("/spa/%78").status == 200


def test_rule_files_are_not_served() -> None:
    for path in ("/_headers", "/_redirects"):
        assert ask(path).status == 404
        assert ask(path, not_found_handling="404-page").file == "/404.html"


CUSTOM: list[tuple[str, dict[str, str], int, dict[str, str]]] = [
    # (path, headers of the request, status, expected custom headers)
    ("/", {}, 200, {"x-frame-options": "DENY"}),
    ("/secure/page", {}, 200, {"x-frame-options": "DENY", "cache-control": "no-store"}),
    ("/movies/up", {}, 200, {"x-movie": "up"}),
    ("/spa/x", {}, 200, {"x-frame-options": "DENY"}),
]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize(("path", "request_headers", "status", "expected"), CUSTOM)
def test_custom_headers_on_files(
    method: str, path: str, request_headers: dict[str, str], status: int, expected: dict[str, str]
) -> None:
    response = ask(path, request_headers, method=method)
    assert response.status == status
    for name, value in expected.items():
        assert header(response, name) == value


def test_detach_removes_a_default_header() -> None:
    assert header(ask("/secure/page"), "x-content-type-options") is None
    assert header(ask("/"), "x-content-type-options") == "nosniff"


def test_custom_headers_on_304_206_and_404_pages() -> None:
    tag = etag_for(SITE["/secure/page.html"])
    not_modified = ask("/secure/page", {"if-none-match": tag})
    assert not_modified.status == 304
    assert header(not_modified, "cache-control") == "no-store"
    partial = ask("/secure/page", {"range": "bytes=0-1"})
    assert partial.status == 206
    assert header(partial, "cache-control") == "no-store"
    page = ask("/secure/missing", not_found_handling="404-page")
    assert (page.status, header(page, "cache-control")) == (404, "no-store")


CUSTOM_ELSEWHERE = [
    # (path, method, request headers, status): rules reach redirects and errors too
    ("/about.html", "GET", {}, 307),  # html_handling redirect
    ("/%61bout-us", "GET", {}, 307),  # canonical redirect
    ("/old", "GET", {}, 301),  # _redirects redirect
    ("/missing", "GET", {}, 404),  # plain Not Found
    ("/missing", "HEAD", {}, 404),
    ("/", "POST", {}, 405),
    ("/secure/page", "GET", {"range": "bytes=99-"}, 416),
]


@pytest.mark.parametrize(("path", "method", "request_headers", "status"), CUSTOM_ELSEWHERE)
def test_custom_headers_on_redirects_and_errors(
    path: str, method: str, request_headers: dict[str, str], status: int
) -> None:
    response = ask(path, request_headers, method=method)
    assert response.status == status
    assert header(response, "x-frame-options") == "DENY"
    assert header(response, "cache-control") is None


def test_no_custom_headers_where_the_path_cannot_be_resolved() -> None:
    response = ask("/%00")
    assert response.status == 404
    assert header(response, "x-frame-options") is None


def test_redirects_never_carry_type_tag_or_caching() -> None:
    for path in ("/about.html", "/old", "/%61bout-us", "/blog/1/x", "/secure/page.html"):
        names = {name for name, _ in ask(path).headers}
        assert names == {"location", "content-length", "x-frame-options"}, path


POLICY_SITE = build_assets(
    {
        "/about.html": b"<h1>about</h1>",
        "/app.js": b"run()",
        "/_headers": (
            b"/*\n  Access-Control-Allow-Origin: *\n  Strict-Transport-Security: max-age=60\n"
            b"  Cache-Control: no-store\n  Content-Type: text/x-custom\n"
        ),
        "/_redirects": b"/old /about 301\n",
    }
).manifest
TEXT = "text/plain; charset=utf-8"
KINDS = [
    # (path, method, request headers, status, Content-Type, Cache-Control): rules add CORS
    # and HSTS everywhere, but Content-Type and Cache-Control only to answers about a file
    ("/app.js", "GET", {}, 200, "text/x-custom", "no-store"),
    ("/app.js", "GET", {"range": "bytes=0-1"}, 206, "text/x-custom", "no-store"),
    ("/about.html", "GET", {}, 307, None, None),
    ("/%61pp.js", "GET", {}, 307, None, None),
    ("/old", "GET", {}, 301, None, None),
    ("/old", "OPTIONS", {}, 301, None, None),
    ("/missing", "GET", {}, 404, TEXT, None),
    ("/missing", "HEAD", {}, 404, TEXT, None),
    ("/app.js", "POST", {}, 405, TEXT, None),
    ("/app.js", "GET", {"range": "bytes=99-"}, 416, TEXT, None),
]


@pytest.mark.parametrize(("path", "method", "request_headers", "status", "kind", "cache"), KINDS)
def test_what_rules_may_change_on_each_answer(
    path: str,
    method: str,
    request_headers: dict[str, str],
    status: int,
    kind: str | None,
    cache: str | None,
) -> None:
    response = ask(path, request_headers, method=method, manifest=POLICY_SITE)
    assert response.status == status
    assert header(response, "access-control-allow-origin") == "*"
    assert header(response, "strict-transport-security") == "max-age=60"
    assert (header(response, "content-type"), header(response, "cache-control")) == (kind, cache)
    if 300 <= status < 400:
        assert header(response, "etag") is None
        assert header(response, "location") is not None


def test_url_rules_match_the_request_host() -> None:
    assert header(ask("/", host="shop.example.com"), "x-tenant") == "shop"
    assert header(ask("/", host="SHOP.Example.COM"), "x-tenant") == "shop"
    assert header(ask("/", host="example.com"), "x-tenant") is None
    assert header(ask("/", host=""), "x-tenant") is None


def test_placeholders_in_values_are_encoded() -> None:
    manifest = build_assets({"/_headers": b"/f/*\n  X-Path: :splat\n", "/404.html": b"x"}).manifest
    response = ask("/f/a%20b%0D%0AX:%20y", manifest=manifest, not_found_handling="404-page")
    assert (response.status, response.file) == (404, "/404.html")
    assert header(response, "x-path") == "a%20b%0D%0AX%3A%20y"


def test_without_rules_answers_are_unchanged() -> None:
    plain = build_assets({k: v for k, v in SITE.items() if not k.startswith("/_")}).manifest
    for path in ("/", "/about", "/app.js", "/old", "/spa/x"):
        with_rules = ask(path, manifest=plain)
        assert header(with_rules, "x-frame-options") is None


TOKENS = ["/", "old", "spa", "blog", "2024", "x", "%2F", "..", "%00", "secure", "page", "日"]


@given(st.lists(st.sampled_from(TOKENS), max_size=8).map(lambda t: "/" + "/".join(t)))
def test_any_path_gets_a_sane_answer(path: str) -> None:
    response = ask(path)
    assert response.status in (200, 301, 302, 303, 307, 308, 404)
    for name, value in response.headers:
        value.encode("latin-1")
        assert "\r" not in value and "\n" not in value
        assert name == name.lower()
    location = header(response, "location")
    if location is not None and location.startswith("/"):
        assert not location.startswith("//")

"""Cache-Control for requests with Authorization (spec: Caching headers; RFC 9111 §3.5)."""

from __future__ import annotations

import pytest

from host.assets.build import build_assets
from host.assets.handler import handle_asset_request
from host.assets.manifest import etag_for
from host.assets.options import AssetOptions

PAGE = b"<p>" + b"private page " * 100
SITE = {
    "/index.html": PAGE,
    "/app.3f9a2b1c.js": b"hashed()",
    "/404.html": b"<h1>lost</h1>",
    "/rules/x.txt": b"x",
    "/_headers": b"/rules/*\n  Cache-Control: public, max-age=60\n",
}
MANIFEST = build_assets(SITE).manifest
AUTH = {"authorization": "Bearer secret"}
TAG = etag_for(PAGE)
REVALIDATE = "public, max-age=0, must-revalidate"
IMMUTABLE = "public, max-age=31536000, immutable"
PRIVATE = "private, max-age=0, must-revalidate"
PRIVATE_IMMUTABLE = "private, max-age=31536000, immutable"

CASES = [
    # (path, request headers, not_found_handling, status, Cache-Control)
    ("/", {}, "none", 200, REVALIDATE),
    ("/", AUTH, "none", 200, PRIVATE),
    ("/", {"authorization": ""}, "none", 200, PRIVATE),
    ("/", {**AUTH, "accept-encoding": "br"}, "none", 200, PRIVATE),
    ("/", {**AUTH, "if-none-match": TAG}, "none", 304, PRIVATE),
    ("/", {**AUTH, "range": "bytes=0-3"}, "none", 206, PRIVATE),
    ("/app.3f9a2b1c.js", {}, "none", 200, IMMUTABLE),
    ("/app.3f9a2b1c.js", AUTH, "none", 200, PRIVATE_IMMUTABLE),
    ("/app.3f9a2b1c.js", {**AUTH, "range": "bytes=0-1"}, "none", 206, PRIVATE_IMMUTABLE),
    ("/missing", AUTH, "404-page", 404, PRIVATE),
    ("/deep/route", {**AUTH, "accept": "text/html"}, "single-page-application", 200, PRIVATE),
    ("/rules/x.txt", AUTH, "none", 200, "public, max-age=60"),  # a rule says so explicitly
    ("/missing", AUTH, "none", 404, None),
    ("/index.html", AUTH, "none", 307, None),
]


@pytest.mark.parametrize(("path", "headers", "not_found", "status", "cache"), CASES)
def test_default_caching_is_private_for_authorized_requests(
    path: str, headers: dict[str, str], not_found: str, status: int, cache: str | None
) -> None:
    options = AssetOptions.from_mapping({"not_found_handling": not_found})
    for method in ("GET", "HEAD"):
        response = handle_asset_request(MANIFEST, method, path, "", headers, options)
        assert response.status == status
        values = [value for name, value in response.headers if name == "cache-control"]
        assert values == ([cache] if cache else [])

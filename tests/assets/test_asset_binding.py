"""AssetBinding against a real SQLite store: variants, ranges, 304s, rule files, laziness."""

from __future__ import annotations

import gzip

import brotli
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from host.assets.binding import AssetBinding, MissingAssetBytes
from host.assets.build import build_assets
from host.assets.manifests import ManifestCache
from host.assets.options import AssetOptions
from host.assets.passthrough import prefer_variant
from host.runtime.bodies import BodyTable
from host.runtime.values import WitRequest, WitResponse
from host.storage import keys
from host.storage.deployments import Deployment, NewVersion, write_version
from host.storage.store import Store, open_store

PROJECT = "demo"
JS = b"export const answer = () => 'forty-two, compressed nicely';\n" * 100
DATA = bytes(range(256)) * 40
SITE = {
    "/index.html": b"<!doctype html><p>" + b"home page text " * 100,
    "/app.js": JS,
    "/data.bin": DATA,
    "/404.html": b"<h1>lost</h1>",
    "/_headers": b"/*\n  X-Frame-Options: DENY\nhttps://:t.example.com/*\n  X-Tenant: :t\n",
    "/_redirects": b"/old /app.js 301\n/spa/* / 200\n",
}


class Site:
    """A deployed project and a way to ask its binding."""

    def __init__(self, store: Store, files: dict[str, bytes], **options: str) -> None:
        self.store = store
        self.options = AssetOptions.from_mapping(options)
        self.deployment = deploy(store, files, self.options)
        self.manifest = ManifestCache(store).get(self.deployment).manifest
        self.bodies = BodyTable(64 * 1024 * 1024)

    def fetch(
        self,
        path: str,
        method: str = "GET",
        host: str = "demo.localhost",
        **headers: str,
    ) -> WitResponse:
        """What the client gets when a guest passes the binding's answer through untouched."""
        return prefer_variant(self.guest_view(path, method, host, **headers), self.bodies)

    def guest_view(
        self,
        path: str,
        method: str = "GET",
        host: str = "demo.localhost",
        **headers: str,
    ) -> WitResponse:
        """What the guest gets from the binding; header names use `_` for `-`."""
        binding = AssetBinding(PROJECT, self.manifest, self.options, self.store, self.bodies)
        fields = [(name.replace("_", "-"), value) for name, value in headers.items()]
        return binding.fetch(WitRequest(method, f"http://{host}{path}", fields, None))

    def body(self, response: WitResponse) -> bytes:
        """The response body: inline bytes, or the bytes behind a handle."""
        if isinstance(response.body, int):
            return self.bodies.take(response.body)
        return response.body or b""


def deploy(store: Store, files: dict[str, bytes], options: AssetOptions) -> Deployment:
    """Deploy `files` the way `host.deploy` does."""
    built = build_assets(files, options)
    new = NewVersion(
        worker=b"\0asm",
        worker_sha256="0" * 64,
        files=built.files,
        manifest=built.manifest.to_json(),
        variants=built.variants,
        asset_options=options.to_mapping(),
    )
    return write_version(store, PROJECT, new, keep=10)[0]


def stored_key(site: Site, path: str, encoding: str = "") -> str:
    """Where the bytes of one representation of a file are stored: under its ETag."""
    assert site.manifest is not None
    return keys.file_key(PROJECT, site.manifest.files[path].representation(encoding).etag)


def header(response: WitResponse, name: str) -> str | None:
    """One header value, or None."""
    return dict(response.headers).get(name)


@pytest.fixture
def site(store: Store) -> Site:
    """The demo site, deployed."""
    return Site(store, SITE)


DECODE = {"": lambda data: data, "br": brotli.decompress, "gzip": gzip.decompress}


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [("", ""), ("gzip", "gzip"), ("br", "br"), ("gzip, br", "br"), ("br;q=0, gzip", "gzip")],
)
def test_each_representation_is_served_from_its_own_key(
    site: Site, accept: str, encoding: str
) -> None:
    response = site.fetch("/app.js", accept_encoding=accept)
    assert response.status == 200
    assert isinstance(response.body, int)
    body = site.body(response)
    assert header(response, "content-encoding") == (encoding or None)
    assert header(response, "content-length") == str(len(body))
    assert header(response, "vary") == "Accept-Encoding"
    assert DECODE[encoding](body) == JS


@pytest.mark.parametrize("accept", ["br", "gzip", "gzip, br"])
def test_a_guest_that_reads_an_asset_gets_the_plain_file(site: Site, accept: str) -> None:
    seen = site.guest_view("/app.js", accept_encoding=accept)
    assert header(seen, "content-encoding") is None
    assert header(seen, "content-length") == str(len(JS))
    assert header(seen, "vary") == "Accept-Encoding"
    assert site.body(seen) == JS
    rewrapped = WitResponse(404, [*seen.headers, ("x-extra", "1")], seen.body)
    assert header(prefer_variant(rewrapped, site.bodies), "content-encoding") in ("br", "gzip")
    changed = WitResponse(200, [h for h in seen.headers if h[0] != "etag"], seen.body)
    assert prefer_variant(changed, site.bodies) is changed


def test_variants_are_stored_under_their_own_etags(site: Site, store: Store) -> None:
    for encoding in ("br", "gzip"):
        data = store.get(stored_key(site, "/app.js", encoding))
        assert data is not None and DECODE[encoding](data) == JS
    assert site.manifest is not None and not site.manifest.files["/data.bin"].variants
    assert store.get(stored_key(site, "/app.js")) == JS


def test_rule_files_are_not_stored_as_assets(site: Site, store: Store) -> None:
    stored = {store.get(key) for key in store.keys(keys.files_prefix(PROJECT))}
    assert SITE["/_headers"] not in stored and SITE["/_redirects"] not in stored
    assert site.fetch("/_headers").status == 404
    assert site.fetch("/_redirects").status == 404


def test_key_layout() -> None:
    assert keys.file_key("p", '"0123abcd"') == "project/p/files/0123abcd"
    assert keys.version_key("p", 12) == "project/p/versions/0000000012"
    assert keys.manifest_key("p", 12) == "project/p/manifests/0000000012"
    assert keys.worker_key("p", "ab") == "project/p/workers/ab"


@pytest.mark.parametrize(
    ("value", "start", "end"),
    [("bytes=0-9", 0, 10), ("bytes=100-", 100, len(DATA)), ("bytes=-7", len(DATA) - 7, len(DATA))],
)
def test_range_bodies_are_slices(site: Site, value: str, start: int, end: int) -> None:
    response = site.fetch("/data.bin", range=value)
    assert response.status == 206
    assert site.bodies.size(response.body) == end - start  # type: ignore[arg-type]
    assert site.body(response) == DATA[start:end]


def test_range_of_a_compressible_file_is_identity(site: Site) -> None:
    response = site.fetch("/app.js", range="bytes=0-5", accept_encoding="br")
    assert response.status == 206
    assert header(response, "content-encoding") is None
    assert site.body(response) == JS[:6]


def test_unsatisfiable_range_has_an_inline_body(site: Site) -> None:
    response = site.fetch("/data.bin", range=f"bytes={len(DATA)}-")
    assert response.status == 416
    assert response.body == b"Range Not Satisfiable"
    assert header(response, "content-range") == f"bytes */{len(DATA)}"


@pytest.mark.parametrize(
    ("path", "method", "headers", "status"),
    [
        ("/app.js", "HEAD", {}, 200),
        ("/app.js", "HEAD", {"accept_encoding": "br"}, 200),
        ("/data.bin", "HEAD", {"range": "bytes=0-1"}, 206),
        ("/old", "GET", {}, 301),
        ("/index.html", "GET", {}, 307),
        ("/missing.js", "HEAD", {}, 404),
    ],
)
def test_no_body_handle_without_a_body(
    site: Site, path: str, method: str, headers: dict[str, str], status: int
) -> None:
    response = site.fetch(path, method, **headers)
    assert response.status == status
    assert response.body is None


def test_304_for_every_representation_has_no_body(site: Site) -> None:
    entry = site.manifest.files["/app.js"] if site.manifest else None
    assert entry is not None
    for rep in entry.representations:
        response = site.fetch("/app.js", if_none_match=rep.etag, accept_encoding="br")
        assert (response.status, response.body) == (304, None)
        assert header(response, "etag") == rep.etag


@pytest.mark.parametrize(
    ("path", "headers", "encoding"),
    [
        ("/data.bin", {}, ""),
        ("/app.js", {"accept_encoding": "br"}, "br"),
        ("/app.js", {"accept_encoding": "gzip"}, "gzip"),
        ("/data.bin", {"range": "bytes=1-2"}, ""),
    ],
)
def test_bytes_are_read_only_when_the_body_is_taken(
    site: Site, store: Store, path: str, headers: dict[str, str], encoding: str
) -> None:
    response = site.fetch(path, **headers)
    assert isinstance(response.body, int)
    with store.atomic() as writes:
        writes.delete(stored_key(site, path, encoding))
    with pytest.raises(MissingAssetBytes):
        site.bodies.take(response.body)


def test_redirect_rule_and_rewrite(site: Site) -> None:
    moved = site.fetch("/old?x=1")
    assert (moved.status, header(moved, "location")) == (301, "/app.js?x=1")
    assert header(moved, "x-frame-options") == "DENY"
    assert header(moved, "cache-control") is None
    rewritten = site.fetch("/spa/some/route", accept_encoding="gzip")
    assert rewritten.status == 200
    assert gzip.decompress(site.body(rewritten)) == SITE["/index.html"]
    assert header(rewritten, "x-frame-options") == "DENY"


def test_header_rules_see_the_url_host(site: Site) -> None:
    assert header(site.fetch("/", host="acme.example.com"), "x-tenant") == "acme"
    assert header(site.fetch("/", host="acme.example.com:8080"), "x-tenant") == "acme"
    assert header(site.fetch("/", host="demo.localhost"), "x-tenant") is None


def test_broken_urls_are_a_plain_miss(site: Site) -> None:
    binding = AssetBinding(PROJECT, site.manifest, site.options, site.store, site.bodies)
    for url in ("http://[::1/app.js", "http://[zz]/app.js", "not a url"):
        response = binding.fetch(WitRequest("GET", url, [], None))
        assert response.status == 404


def test_a_redeploy_serves_the_new_bytes_and_keeps_the_old_version_for_rollback(
    store: Store,
) -> None:
    first = Site(store, {"/app.js": JS})
    new = b"x"
    second = Site(store, {"/app.js": new})
    response = second.fetch("/app.js", accept_encoding="br")
    assert (header(response, "content-encoding"), second.body(response)) == (None, new)
    kept = first.fetch("/app.js", accept_encoding="br")  # the first version's own manifest
    assert brotli.decompress(first.body(kept)) == JS


def test_repeated_headers_are_joined(site: Site) -> None:
    binding = AssetBinding(PROJECT, site.manifest, site.options, site.store, site.bodies)
    request = WitRequest(
        "GET",
        "http://h/app.js",
        [("Accept-Encoding", "identity;q=0.5"), ("accept-encoding", "gzip")],
        None,
    )
    response = prefer_variant(binding.fetch(request), site.bodies)
    assert header(response, "content-encoding") == "gzip"


def test_no_manifest_means_no_assets(store: Store) -> None:
    bodies = BodyTable(1024)
    binding = AssetBinding(PROJECT, None, AssetOptions(), store, bodies)
    response = binding.fetch(WitRequest("GET", "http://h/x", [], None))
    assert (response.status, response.body) == (404, b"No assets found")


@pytest.fixture(scope="module")
def shared_site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """One deployed site for property tests (hypothesis reuses it across examples)."""
    return Site(open_store(tmp_path_factory.mktemp("kv") / "kv.db"), SITE)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.integers(min_value=0, max_value=len(DATA) + 50),
    st.integers(min_value=0, max_value=len(DATA) + 50),
)
def test_a_206_body_through_the_binding_is_the_slice(
    shared_site: Site, first: int, last: int
) -> None:
    response = shared_site.fetch("/data.bin", range=f"bytes={first}-{last}")
    if last < first:
        assert response.status == 200
    elif first >= len(DATA):
        assert response.status == 416
    else:
        assert response.status == 206
        body = shared_site.body(response)
        assert body == DATA[first : last + 1]
        assert header(response, "content-length") == str(len(body))


def test_manifest_cache_keeps_one_entry_per_project(store: Store) -> None:
    cache = ManifestCache(store)
    first = Site(store, {"/a.txt": b"one"})
    assert cache.get(first.deployment).manifest is not None
    second = Site(store, {"/b.txt": b"two"})
    fresh = cache.get(second.deployment).manifest
    assert fresh is not None and set(fresh.files) == {"/b.txt"}
    assert len(cache) == 1

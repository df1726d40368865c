"""Deploy-time assembly: rule files, variants, manifest (spec: Storage layout, Beyond)."""

from __future__ import annotations

import gzip
import json

import brotli
import pytest

from host.assets.build import build_assets
from host.assets.encodings import BROTLI, GZIP
from host.assets.manifest import InvalidManifest, Manifest, etag_for
from host.assets.options import AssetOptions
from host.assets.rulefiles import InvalidRuleFile
from host.errors import DeployError

JS = b"export function hello(name) { return 'Hello, ' + name + '!'; }\n" * 60
HTML = b"<!doctype html><title>x</title><p>" + b"lorem ipsum dolor sit amet " * 80
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8

SITE = {
    "/index.html": HTML,
    "/app.js": JS,
    "/copy.js": JS,
    "/logo.png": PNG,
    "/tiny.css": b"body{}",
    "/sub/_headers": b"not a rule file here",
    "/_headers": b"/*\n  X-Frame-Options: DENY\n/app.js\n  ! X-Content-Type-Options\n",
    "/_redirects": b"# moves\n/old /new 301\n/spa/* / 200\n",
}


def test_rule_files_become_rules_and_are_not_served() -> None:
    built = build_assets(SITE)
    assert "/_headers" not in built.files and "/_redirects" not in built.files
    assert "/_headers" not in built.manifest.files
    assert "/_redirects" not in built.manifest.files
    assert "/sub/_headers" in built.files and "/sub/_headers" in built.manifest.files
    assert [r.pattern.text for r in built.manifest.header_rules.rules] == ["/*", "/app.js"]
    assert [r.source.text for r in built.manifest.redirect_rules.rules] == ["/old", "/spa/*"]


def test_variants_of_compressible_files_only() -> None:
    built = build_assets(SITE)
    assert set(built.variants) == {BROTLI, GZIP}
    for encoding in (BROTLI, GZIP):
        assert set(built.variants[encoding]) == {"/index.html", "/app.js", "/copy.js"}
    assert brotli.decompress(built.variants[BROTLI]["/app.js"]) == JS
    assert gzip.decompress(built.variants[GZIP]["/index.html"]) == HTML


def test_manifest_describes_each_variant() -> None:
    built = build_assets(SITE)
    entry = built.manifest.files["/app.js"]
    assert entry.etag == etag_for(JS)
    for rep in entry.variants:
        data = built.variants[rep.encoding]["/app.js"]
        assert (rep.etag, rep.size) == (etag_for(data), len(data))
        assert rep.etag != entry.etag
        assert rep.size < entry.size
    assert entry.representations[0].encoding == ""
    assert built.manifest.files["/logo.png"].variants == ()
    assert built.manifest.files["/tiny.css"].variants == ()


def test_build_is_deterministic() -> None:
    first, second = build_assets(SITE), build_assets(dict(reversed(list(SITE.items()))))
    assert first.manifest.to_json() == second.manifest.to_json()
    assert first.variants == second.variants


def test_manifest_json_round_trip_with_variants_and_rules() -> None:
    manifest = build_assets(SITE).manifest
    again = Manifest.from_json(manifest.to_json())
    assert again == manifest
    assert again.to_json() == manifest.to_json()
    document = json.loads(manifest.to_json())
    assert document["version"] == 2
    assert set(document["files"]["/app.js"]["variants"]) == {"br", "gzip"}
    assert "variants" not in document["files"]["/logo.png"]
    assert document["redirects"][0] == {"from": "/old", "line": 2, "status": 301, "to": "/new"}
    assert document["headers"][0] == {
        "line": 1,
        "pattern": "/*",
        "set": [["x-frame-options", "DENY"]],
        "unset": [],
    }


def test_no_rule_files_no_rule_keys() -> None:
    document = json.loads(build_assets({"/a.txt": b"a"}).manifest.to_json())
    assert set(document) == {"files", "version"}


def test_empty_rule_files_are_fine() -> None:
    built = build_assets({"/_headers": b"", "/_redirects": b"# nothing\n", "/a": b"a"})
    assert not built.manifest.header_rules and not built.manifest.redirect_rules
    assert set(built.files) == {"/a"}


BAD_UPLOADS = [
    ({"/_headers": b"/a\n  bad line\n"}, "_headers: 1 problem:\n  line 2: "),
    ({"/_redirects": b"/a /b 404\n"}, "_redirects: 1 problem:\n  line 1: status"),
    ({"/_redirects": b"\xff\xfe/a /b\n"}, "_redirects is not UTF-8 text"),
    ({"/_headers": b"/a\n  X: caf\xe9\n"}, "_headers is not UTF-8 text"),
    ({"/_redirects": b"/ /index.html 301\n"}, "infinite loop"),
]


@pytest.mark.parametrize(("files", "message"), BAD_UPLOADS)
def test_bad_rule_files_refuse_the_deploy(files: dict[str, bytes], message: str) -> None:
    with pytest.raises(InvalidRuleFile) as caught:
        build_assets({"/index.html": b"x", **files})
    assert message in str(caught.value)
    assert isinstance(caught.value, DeployError)


def test_loop_check_follows_html_handling() -> None:
    files = {"/_redirects": b"/ /index.html 301\n"}
    with pytest.raises(InvalidRuleFile):
        build_assets(files)
    assert build_assets(files, AssetOptions(html_handling="none")).manifest.redirect_rules


def test_byte_order_mark_is_ignored() -> None:
    built = build_assets({"/_redirects": b"\xef\xbb\xbf/a /b 301\n"})
    assert built.manifest.redirect_rules.rules[0].source.text == "/a"


def test_invalid_asset_paths_still_refused() -> None:
    with pytest.raises(DeployError):
        build_assets({"/a//b": b"x"})


BAD_MANIFESTS = [
    b'{"version":2,"files":{"/a":{"content_type":"t","etag":"\\"x\\"","size":1,"variants":[]}}}',
    b'{"version":2,"files":{"/a":{"content_type":"t","etag":"\\"x\\"","size":1,'
    b'"variants":{"zstd":{"etag":"\\"y\\"","size":1}}}}}',
    b'{"version":2,"files":{"/a":{"content_type":"t","etag":"\\"x\\"","size":1,'
    b'"variants":{"br":{"etag":"\\"y\\"","size":-1}}}}}',
    b'{"version":2,"files":{"/a":{"content_type":"t","etag":"\\"x\\"","size":1,'
    b'"variants":{"br":{"size":1}}}}}',
    b'{"version":2,"files":{"/a":{"content_type":"t","etag":"\\"x\\"","size":1,'
    b'"variants":{"br":"x"}}}}',
    b'{"version":2,"files":{},"headers":{}}',
    b'{"version":2,"files":{},"headers":[{"line":1,"pattern":"/a","set":[],"unset":[]}]}',
    b'{"version":2,"files":{},"redirects":[{"from":"/a","to":"/b","status":404,"line":1}]}',
    b'{"version":2,"files":{},"redirects":"x"}',
]


@pytest.mark.parametrize("data", BAD_MANIFESTS)
def test_bad_variants_and_rules_in_stored_manifests(data: bytes) -> None:
    with pytest.raises(InvalidManifest):
        Manifest.from_json(data)


def test_version_1_manifests_are_still_read() -> None:
    data = (
        b'{"files":{"/a.txt":{"content_type":"text/plain","etag":"\\"x\\"","size":1}},"version":1}'
    )
    manifest = Manifest.from_json(data)
    assert manifest.files["/a.txt"].variants == ()
    assert not manifest.header_rules and not manifest.redirect_rules

"""Manifest building, path validation and the JSON form (spec: Storage layout, Caching)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import FrozenInstanceError

import pytest
from hypothesis import given
from hypothesis import strategies as st

from host.assets.headers import IMMUTABLE, REVALIDATE
from host.assets.manifest import (
    FORMAT_VERSION,
    AssetEntry,
    InvalidAssetPath,
    InvalidManifest,
    Manifest,
    build_asset_manifest,
    check_asset_path,
    etag_for,
)
from host.errors import DeployError, WasmhostError

ETAG = re.compile(r'^"[0-9a-f]{32}"$')

SITE = {
    "/index.html": b"<h1>home</h1>",
    "/hello world.txt": b"hello",
    "/日本語.txt": "日本語".encode(),
    "/app.js": b"console.log(1)",
    "/LICENSE": b"MIT",
    "/empty.txt": b"",
}

VALID_PATHS = [
    "/a",
    "/index.html",
    "/dir/sub/file.txt",
    "/hello world.txt",
    "/日本語.txt",
    "/😀",
    "/a+b@c.txt",
    "/%zz",
    "/100%.txt",
    "/...",
    "/..a",
    "/a..",
    "/a..b",
    "/.well-known/security.txt",
    "/.htaccess",
    "/.html",
    "/a?b#c",
    "/" + "x" * 5000,
]

INVALID_PATHS = [
    ("", "start with '/'"),
    ("app.js", "start with '/'"),
    ("./app.js", "start with '/'"),
    ("\\app.js", "start with '/'"),
    ("/", "empty segment"),
    ("//a", "empty segment"),
    ("/a//b", "empty segment"),
    ("/a/", "empty segment"),
    ("/.", "'.' or '..'"),
    ("/..", "'.' or '..'"),
    ("/./a", "'.' or '..'"),
    ("/a/.", "'.' or '..'"),
    ("/../a", "'.' or '..'"),
    ("/a/../b", "'.' or '..'"),
    ("/a/./b", "'.' or '..'"),
    ("/a\x00b", "control character"),
    ("/\x00", "control character"),
    ("/a\nb", "control character"),
    ("/a\rb", "control character"),
    ("/a\tb", "control character"),
    ("/a\x7fb", "control character"),
    ("/a\\b", "backslash"),
    ("/dir\\file.txt", "backslash"),
    ("/\udcff", "UTF-8"),
    ("/a\ud800b", "UTF-8"),
]


def test_build_describes_every_file() -> None:
    manifest = build_asset_manifest(SITE)
    assert set(manifest.files) == set(SITE)
    for path, content in SITE.items():
        entry = manifest.files[path]
        assert entry.size == len(content)
        assert ETAG.match(entry.etag)
        assert entry.etag == '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/index.html", "text/html; charset=utf-8"),
        ("/hello world.txt", "text/plain; charset=utf-8"),
        ("/日本語.txt", "text/plain; charset=utf-8"),
        ("/app.js", "application/javascript; charset=utf-8"),
        ("/LICENSE", "application/octet-stream"),
    ],
)
def test_build_sets_content_types(path: str, content_type: str) -> None:
    assert build_asset_manifest(SITE).files[path].content_type == content_type


def test_same_bytes_same_etag_everywhere() -> None:
    manifest = build_asset_manifest({"/a.txt": b"same", "/b/c.js": b"same", "/d": b"other"})
    assert manifest.files["/a.txt"].etag == manifest.files["/b/c.js"].etag
    assert manifest.files["/a.txt"].etag != manifest.files["/d"].etag
    assert etag_for(b"same") == manifest.files["/a.txt"].etag


@given(st.binary(), st.binary())
def test_etag_depends_on_bytes_only(first: bytes, second: bytes) -> None:
    assert ETAG.match(etag_for(first))
    assert (etag_for(first) == etag_for(second)) == (first == second)


@pytest.mark.parametrize("path", VALID_PATHS)
def test_valid_paths(path: str) -> None:
    check_asset_path(path)
    assert path in build_asset_manifest({path: b"x"}).files


@pytest.mark.parametrize(("path", "reason"), INVALID_PATHS)
def test_invalid_paths(path: str, reason: str) -> None:
    with pytest.raises(InvalidAssetPath, match=re.escape(reason)):
        check_asset_path(path)
    with pytest.raises(InvalidAssetPath):
        build_asset_manifest({"/ok.txt": b"ok", path: b"x"})


def test_invalid_path_is_a_deploy_error() -> None:
    assert issubclass(InvalidAssetPath, DeployError)
    assert issubclass(InvalidManifest, WasmhostError)
    with pytest.raises(InvalidAssetPath, match=r"'/a/\.\./b'"):
        check_asset_path("/a/../b")


def test_json_format_is_exact() -> None:
    manifest = build_asset_manifest({"/b.txt": b"b", "/a é.txt": b""})
    etag_a, etag_b = etag_for(b""), etag_for(b"b")
    expected = (
        '{"files":{'
        f'"/a é.txt":{{"content_type":"text/plain; charset=utf-8","etag":{json.dumps(etag_a)},'
        '"size":0},'
        f'"/b.txt":{{"content_type":"text/plain; charset=utf-8","etag":{json.dumps(etag_b)},'
        '"size":1}'
        '},"version":2}'
    ).encode()
    assert manifest.to_json() == expected


def test_json_is_deterministic_whatever_the_upload_order() -> None:
    forward = build_asset_manifest(SITE).to_json()
    backward = build_asset_manifest(dict(reversed(list(SITE.items())))).to_json()
    assert forward == backward
    assert json.loads(forward)["version"] == FORMAT_VERSION


def test_empty_manifest() -> None:
    manifest = build_asset_manifest({})
    assert dict(manifest.files) == {}
    assert manifest.to_json() == b'{"files":{},"version":2}'
    assert Manifest.from_json(manifest.to_json()) == manifest


def test_json_round_trip() -> None:
    manifest = build_asset_manifest(SITE)
    again = Manifest.from_json(manifest.to_json())
    assert again == manifest
    assert again.to_json() == manifest.to_json()
    assert again.files["/app.js"].headers == manifest.files["/app.js"].headers


@given(
    st.dictionaries(
        st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1).map(
            lambda s: "/" + s.replace("/", "_").replace("\\", "_")
        ),
        st.binary(max_size=64),
        max_size=8,
    ).filter(lambda files: all(p not in ("/.", "/..") for p in files))
)
def test_json_round_trip_property(files: dict[str, bytes]) -> None:
    manifest = build_asset_manifest(files)
    assert Manifest.from_json(manifest.to_json()) == manifest


BAD_JSON = [
    b"",
    b"not json",
    b"\xff\xfe",
    b"[]",
    b"null",
    b'{"files":{}}',
    b'{"version":3,"files":{}}',
    b'{"version":0,"files":{}}',
    b'{"version":"1","files":{}}',
    b'{"version":true,"files":{}}',
    b'{"version":1.0,"files":{}}',
    b'{"version":1}',
    b'{"version":1,"files":[]}',
    b'{"version":1,"files":{"/a":[]}}',
    b'{"version":1,"files":{"/a":{"etag":"\\"x\\"","size":1}}}',
    b'{"version":1,"files":{"/a":{"content_type":"text/plain","size":1}}}',
    b'{"version":1,"files":{"/a":{"content_type":"t","etag":"\\"x\\"","size":-1}}}',
    b'{"version":1,"files":{"/a":{"content_type":"t","etag":"\\"x\\"","size":"1"}}}',
    b'{"version":1,"files":{"/a":{"content_type":"t","etag":"\\"x\\"","size":1.5}}}',
    b'{"version":1,"files":{"/a":{"content_type":"t","etag":"\\"x\\"","size":true}}}',
    b'{"version":1,"files":{"/a":{"content_type":"t","etag":"\\"x\\""}}}',
    b'{"version":1,"files":{"/../x":{"content_type":"t","etag":"\\"x\\"","size":1}}}',
    b'{"version":1,"files":{"a":{"content_type":"t","etag":"\\"x\\"","size":1}}}',
    b'{"version":1,"files":{"/a\\u0000":{"content_type":"t","etag":"\\"x\\"","size":1}}}',
]


@pytest.mark.parametrize("data", BAD_JSON)
def test_from_json_refuses_bad_input(data: bytes) -> None:
    with pytest.raises(InvalidManifest):
        Manifest.from_json(data)


def test_entry_headers_are_precomputed() -> None:
    entry = AssetEntry("text/plain; charset=utf-8", '"abc"', 12)
    assert entry.headers.for_ok(False) == (
        ("content-type", "text/plain; charset=utf-8"),
        ("etag", '"abc"'),
        ("cache-control", REVALIDATE),
        ("content-length", "12"),
        ("accept-ranges", "bytes"),
        ("x-content-type-options", "nosniff"),
    )
    assert ("cache-control", IMMUTABLE) in entry.headers.for_ok(True)
    assert entry.headers.for_not_modified(False) == (
        ("etag", '"abc"'),
        ("content-type", "text/plain; charset=utf-8"),
        ("cache-control", REVALIDATE),
    )
    assert ("cache-control", IMMUTABLE) in entry.headers.for_not_modified(True)


def test_manifest_is_immutable() -> None:
    manifest = build_asset_manifest({"/a": b"a"})
    with pytest.raises(TypeError):
        manifest.files["/b"] = manifest.files["/a"]  # type: ignore[index]
    with pytest.raises(FrozenInstanceError):
        manifest.files = {}  # type: ignore[misc]

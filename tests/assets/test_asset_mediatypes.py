"""Content types by extension (spec: Content types)."""

from __future__ import annotations

import pytest

from host.assets.mediatypes import content_type_for, extension_of, is_compressible

TYPES = [
    ("/index.html", "text/html; charset=utf-8"),
    ("/old.htm", "text/html; charset=utf-8"),
    ("/style.css", "text/css; charset=utf-8"),
    ("/app.js", "application/javascript; charset=utf-8"),
    ("/app.mjs", "application/javascript; charset=utf-8"),
    ("/app.cjs", "application/javascript; charset=utf-8"),
    ("/data.json", "application/json; charset=utf-8"),
    ("/app.js.map", "application/json; charset=utf-8"),
    ("/site.webmanifest", "application/manifest+json; charset=utf-8"),
    ("/notes.txt", "text/plain; charset=utf-8"),
    ("/feed.xml", "application/xml; charset=utf-8"),
    ("/table.csv", "text/csv; charset=utf-8"),
    ("/README.md", "text/markdown; charset=utf-8"),
    ("/logo.svg", "image/svg+xml"),
    ("/a.png", "image/png"),
    ("/a.jpg", "image/jpeg"),
    ("/a.jpeg", "image/jpeg"),
    ("/a.gif", "image/gif"),
    ("/a.webp", "image/webp"),
    ("/a.avif", "image/avif"),
    ("/favicon.ico", "image/x-icon"),
    ("/f.woff", "font/woff"),
    ("/f.woff2", "font/woff2"),
    ("/f.ttf", "font/ttf"),
    ("/f.otf", "font/otf"),
    ("/m.wasm", "application/wasm"),
    ("/doc.pdf", "application/pdf"),
    ("/v.mp4", "video/mp4"),
    ("/v.webm", "video/webm"),
    ("/s.mp3", "audio/mpeg"),
    ("/s.wav", "audio/wav"),
    ("/all.zip", "application/zip"),
    # case-insensitive
    ("/NOTES.TXT", "text/plain; charset=utf-8"),
    ("/Index.HTML", "text/html; charset=utf-8"),
    ("/A.Png", "image/png"),
    # unknown or missing extension
    ("/LICENSE", "application/octet-stream"),
    ("/data.bin", "application/octet-stream"),
    ("/archive.tar.gz", "application/octet-stream"),
    ("/weird.html5", "application/octet-stream"),
    ("/dir.html/file", "application/octet-stream"),
    ("/trailing.", "application/octet-stream"),
    ("/.htaccess", "application/octet-stream"),
    ("/.html", "application/octet-stream"),
    ("/", "application/octet-stream"),
    ("", "application/octet-stream"),
    # only the last segment counts
    ("/v1.2/notes.txt", "text/plain; charset=utf-8"),
    ("/.well-known/security.txt", "text/plain; charset=utf-8"),
    ("/日本語.txt", "text/plain; charset=utf-8"),
    ("/hello world.txt", "text/plain; charset=utf-8"),
    ("/two..dots.css", "text/css; charset=utf-8"),
]


@pytest.mark.parametrize(("pathname", "content_type"), TYPES)
def test_content_type_for(pathname: str, content_type: str) -> None:
    assert content_type_for(pathname) == content_type


@pytest.mark.parametrize(
    ("pathname", "ext"),
    [("/a.TXT", "txt"), ("/a", ""), ("/.env", ""), ("/a.b.c", "c"), ("/a.", ""), ("/x.y/z", "")],
)
def test_extension_of(pathname: str, ext: str) -> None:
    assert extension_of(pathname) == ext


@pytest.mark.parametrize(
    ("content_type", "compressible"),
    [
        ("text/html; charset=utf-8", True),
        ("text/css; charset=utf-8", True),
        ("text/plain", True),
        ("application/javascript; charset=utf-8", True),
        ("application/json; charset=utf-8", True),
        ("application/manifest+json; charset=utf-8", True),
        ("application/ld+json", True),
        ("application/xml; charset=utf-8", True),
        ("application/atom+xml", True),
        ("image/svg+xml", True),
        ("application/wasm", True),
        ("image/x-icon", True),
        ("font/ttf", True),
        ("font/otf", True),
        ("TEXT/HTML", True),
        ("image/png", False),
        ("image/jpeg", False),
        ("image/webp", False),
        ("font/woff2", False),
        ("font/woff", False),
        ("application/zip", False),
        ("application/pdf", False),
        ("video/mp4", False),
        ("audio/mpeg", False),
        ("application/octet-stream", False),
        ("", False),
    ],
)
def test_is_compressible(content_type: str, compressible: bool) -> None:
    assert is_compressible(content_type) is compressible


@pytest.mark.parametrize("pathname", [p for p, _ in TYPES])
def test_text_types_carry_utf8_charset(pathname: str) -> None:
    content_type = content_type_for(pathname)
    if content_type.startswith("text/") or content_type.startswith("application/javascript"):
        assert content_type.endswith("; charset=utf-8")

"""The seed's flow over real HTTP: the demo project's API and its assets.

Every test that uses `demo` runs twice: against hello-py and against hello-js, which serve the
same site and API through each language's SDK.
"""

import json
from pathlib import Path

import pytest

from tests.conftest import Guest, Host


@pytest.fixture(scope="module")
def public(hello: Guest) -> Path:
    """The example's static site."""
    assert hello.public is not None
    return hello.public


@pytest.fixture(scope="module")
def demo(host: Host, hello: Guest, public: Path) -> str:
    """The example deployed as `demo-py` or `demo-js` with its site."""
    project = f"demo-{hello.language}"
    host.deploy(project, hello.worker, public)
    return project


def test_api_answers_json(host: Host, demo: str) -> None:
    reply = host.get(demo, "/api/hello")
    assert reply.status == 200
    assert reply.header("content-type") == "application/json"
    assert json.loads(reply.body) == {"hello": "world"}


def test_index_is_served_from_assets(host: Host, demo: str, public: Path) -> None:
    reply = host.get(demo, "/")
    assert reply.status == 200
    assert reply.header("content-type") == "text/html; charset=utf-8"
    assert reply.body == (public / "index.html").read_bytes()
    etag = reply.header("etag")
    assert etag is not None and etag.startswith('"') and not etag.startswith("W/")
    assert reply.header("cache-control") == "public, max-age=0, must-revalidate"
    assert reply.header("x-content-type-options") == "nosniff"


def test_revalidation_gives_304(host: Host, demo: str) -> None:
    etag = host.get(demo, "/").header("etag")
    assert etag is not None
    reply = host.get(demo, "/", if_none_match=etag)
    assert reply.status == 304
    assert reply.body == b""
    assert reply.header("etag") == etag


def test_every_public_file_is_served(host: Host, demo: str, public: Path) -> None:
    for path in public.iterdir():
        reply = host.get(demo, "/" + path.name)
        if path.suffix == ".html":
            assert reply.status == 307  # /about.html -> /about
            reply = host.get(demo, reply.header("location") or "")
        assert reply.status == 200, path.name
        assert reply.body == path.read_bytes()


def test_head_has_get_headers_and_no_body(host: Host, demo: str) -> None:
    get = host.get(demo, "/style.css")
    head = host.request(demo, "/style.css", method="HEAD")
    assert head.status == 200
    assert head.body == b""
    assert head.header("content-length") == str(len(get.body))
    assert head.header("etag") == get.header("etag")


def test_missing_file_is_404(host: Host, demo: str) -> None:
    reply = host.get(demo, "/no-such-file.js")
    assert reply.status == 404
    assert reply.text == "Not Found"


def test_post_to_an_asset_is_405(host: Host, demo: str) -> None:
    reply = host.request(demo, "/style.css", method="POST", body=b"x")
    assert reply.status == 405
    assert reply.header("allow") == "GET, HEAD"


def test_unknown_project_is_404(host: Host) -> None:
    reply = host.get("nobody-here", "/")
    assert reply.status == 404
    assert reply.text.strip() == "Project not found"


def test_invalid_project_label_is_404(host: Host) -> None:
    reply = host.get("Bad_Label", "/")
    assert reply.status == 404


def test_control_plane_health(host: Host) -> None:
    reply = host.get(None, "/healthz")
    assert reply.status == 200
    assert reply.text == "ok\n"

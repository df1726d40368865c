"""Redirect loops that depend on the uploaded files, refused at deploy (spec: `_redirects`)."""

from __future__ import annotations

import pytest

from host.assets.build import build_assets
from host.assets.handler import handle_asset_request
from host.assets.options import AssetOptions
from host.assets.redirectloops import MAX_HOPS
from host.assets.rulefiles import InvalidRuleFile

LOOPS = [
    # (files, _redirects, html_handling, problem reported)
    (["/about.html"], "/about /about/ 301", "auto-trailing-slash",
     "line 1: redirect loop: /about -> /about/ -> /about"),
    (["/docs/index.html"], "/docs/ /docs 301", "auto-trailing-slash",
     "line 1: redirect loop: /docs/ -> /docs -> /docs/"),
    (["/about.html"], "/about/ /about 308", "force-trailing-slash",
     "line 1: redirect loop: /about/ -> /about -> /about/"),
    (["/docs/index.html"], "/docs /docs/ 302", "drop-trailing-slash",
     "line 1: redirect loop: /docs -> /docs/ -> /docs"),
    ([], "/a /b 301\n/b /a 301", "auto-trailing-slash",
     "line 1: redirect loop: /a -> /b -> /a"),
    ([], "/a /b 301\n/b /a 301", "auto-trailing-slash",
     "line 2: redirect loop: /b -> /a -> /b"),
    ([], "/start /x/1 301\n/x/* /y/:splat 301\n/y/* /x/:splat 301", "auto-trailing-slash",
     "line 1: redirect loop: /start -> /x/1 -> /y/1 -> /x/1"),
    (["/b.html"], "# moved\n/a /b.html 301\n/b /a 301", "auto-trailing-slash",
     "line 2: redirect loop: /a -> /b.html -> /b -> /a"),
]  # fmt: skip


@pytest.mark.parametrize(("files", "rules", "mode", "problem"), LOOPS)
def test_loops_through_the_files_are_refused(
    files: list[str], rules: str, mode: str, problem: str
) -> None:
    upload = {path: b"page" for path in files} | {"/_redirects": rules.encode()}
    with pytest.raises(InvalidRuleFile) as caught:
        build_assets(upload, AssetOptions(html_handling=mode))  # type: ignore[arg-type]
    assert problem in str(caught.value)


FINE = [
    # (files, _redirects, html_handling): chains that end
    (["/about/index.html"], "/about /about/ 301", "auto-trailing-slash"),
    ([], "/about /about/ 301", "auto-trailing-slash"),
    (["/about.html"], "/about /about/ 301", "none"),
    (["/about.html"], "/about /about/ 301", "force-trailing-slash"),
    (["/docs.html"], "/docs/ /docs 301", "auto-trailing-slash"),
    (["/docs/index.html"], "/docs /docs/ 301", "auto-trailing-slash"),
    (["/new.html"], "/old /new.html 301\n/new /new.html 302", "none"),
    ([], "/a https://example.com/a 301\n/b /a 301", "auto-trailing-slash"),
    (["/a.html"], "/a/ /a 200\n/b /a/ 301", "auto-trailing-slash"),
    (["/x.html"], "/x.html /x 301", "auto-trailing-slash"),
]


@pytest.mark.parametrize(("files", "rules", "mode"), FINE)
def test_chains_that_end_are_accepted(files: list[str], rules: str, mode: str) -> None:
    upload = {path: b"page" for path in files} | {"/_redirects": rules.encode()}
    assert build_assets(upload, AssetOptions(html_handling=mode))  # type: ignore[arg-type]


def test_long_chains_are_not_loops() -> None:
    rules = "".join(f"/p{i} /p{i + 1} 301\n" for i in range(MAX_HOPS * 2))
    manifest = build_assets({"/_redirects": rules.encode()}).manifest
    answer = handle_asset_request(manifest, "GET", "/p0", "", {})
    assert (answer.status, dict(answer.headers)["location"]) == (301, "/p1")


def test_every_looping_rule_is_listed() -> None:
    rules = b"/a /b 301\n/b /a 301\n/c /c/ 301\n/ok /fine 301\n"
    with pytest.raises(InvalidRuleFile) as caught:
        build_assets({"/c.html": b"c", "/_redirects": rules})
    message = str(caught.value)
    assert message.startswith("_redirects: 3 problems:")
    assert "line 1: " in message and "line 2: " in message and "line 3: " in message
    assert "line 4" not in message

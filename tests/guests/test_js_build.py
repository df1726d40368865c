"""Building JavaScript guests: the toolchain is really there, errors name file:line, caching.

These tests need Node.js 20+, npm and `scripts/setup`; without them they fail (never skip)
with a message that says what to install.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import uuid
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD_GUEST = REPO / "scripts" / "build-guest"


@pytest.fixture(scope="module")
def build_guest() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_guest", REPO / "scripts/build_guest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_guest(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def build(src: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Run scripts/build-guest."""
    return subprocess.run(
        [str(BUILD_GUEST), str(src), str(out), *extra],
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_javascript_toolchain_is_installed(build_guest: ModuleType) -> None:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} not found: JavaScript guests need Node.js 20+ and npm. "
            "Install them, then run scripts/setup (it runs npm ci)."
        )
    try:
        toolchain = build_guest.JavaScriptBuilder().toolchain()
    except build_guest.BuildError as error:
        pytest.fail(f"the JavaScript guest toolchain is not usable: {error}")
    assert "@bytecodealliance/componentize-js 0.23." in toolchain
    assert "esbuild " in toolchain


def test_missing_node_is_a_clear_error(
    build_guest: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_guest.shutil, "which", lambda name: None)
    with pytest.raises(build_guest.BuildError, match=r"need Node\.js 20\+ and npm"):
        build_guest.JavaScriptBuilder().toolchain()


def test_old_node_is_a_clear_error(
    build_guest: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(build_guest.shutil, "which", lambda name: "/usr/bin/node")
    monkeypatch.setattr(build_guest, "run_tool", lambda cmd, what: "v18.19.0\n")
    with pytest.raises(build_guest.BuildError, match=r"Node\.js 20\+, found v18\.19\.0"):
        build_guest.JavaScriptBuilder().toolchain()


def test_cache_key_follows_sources_sdk_and_toolchain_not_assets(
    build_guest: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builder = build_guest.JavaScriptBuilder()
    monkeypatch.setattr(builder, "toolchain", lambda: "componentize-js test")
    guest = make_guest(
        tmp_path / "g",
        {"worker.js": "export default {}\n", "lib/a.js": "", "public/index.html": "v1"},
    )
    first = build_guest.cache_key(builder, guest)
    (guest / "public" / "index.html").write_text("v2")
    make_guest(guest, {"node_modules/x/index.js": "ignored"})
    assert build_guest.cache_key(builder, guest) == first
    (guest / "lib" / "a.js").write_text("export const a = 1;\n")
    second = build_guest.cache_key(builder, guest)
    assert second != first
    monkeypatch.setattr(builder, "toolchain", lambda: "componentize-js other")
    assert build_guest.cache_key(builder, guest) != second
    assert ("sdk", REPO / "guests" / "sdk" / "js") in builder.inputs()


BROKEN = {
    "syntax": (
        {"worker.js": 'import { f } from "./lib/f.js";\nexport default { fetch: f };\n',
         "lib/f.js": "export function f() {\n  return new Response(;\n}\n"},
        ["lib/f.js:2:23: error: Unexpected \";\"", "return new Response(;"],
    ),
    "unresolved": (
        {"worker.js": 'import { Hono } from "hono";\nexport default new Hono();\n'},
        ['worker.js:1:22: error: Could not resolve "hono"', "run `npm install hono` there"],
    ),
    "no-default": (
        {"worker.js": "export const x = 1;\n"},
        ["worker.js has no default export", "export default { async fetch(request, env, ctx)"],
    ),
    "named-fetch": (
        {"worker.js": 'export async function fetch() { return new Response("x"); }\n'},
        ["worker.js has no default export; it exports a named fetch() instead"],
    ),
    "no-fetch": (
        {"worker.js": "export default { hello() {} };\n"},
        ["worker.js's default export has no fetch() method"],
    ),
    "throwing-top-level": (
        {"worker.js": 'import "./lib/config.js";\nexport default { fetch() {} };\n',
         "lib/config.js": '// config\n\nthrow new RangeError("no config");\n'},
        ["failed while loading", "lib/config.js:3 RangeError: no config"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_guests_fail_with_a_clear_message(tmp_path: Path, case: str) -> None:
    files, expected = BROKEN[case]
    result = build(make_guest(tmp_path / case, files), tmp_path / "out.wasm", "--no-cache")
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("build-guest: error: the JavaScript build failed")
    for text in expected:
        assert text in result.stderr
    assert "node_modules/" not in result.stderr  # no toolchain stack traces
    assert not (tmp_path / "out.wasm").exists()


def test_a_second_build_reuses_the_cached_component(tmp_path: Path) -> None:
    worker = 'import { t } from "./t.js";\nexport default { fetch: () => new Response(t) };\n'
    unique = f'export const t = "{uuid.uuid4()}";\n'  # never built before: no cache hit
    guest = make_guest(tmp_path / "tiny", {"worker.js": worker, "t.js": unique})
    first = build(guest, tmp_path / "a.wasm")
    assert first.returncode == 0, first.stderr
    assert "built " in first.stdout
    second = build(guest, tmp_path / "b.wasm")
    assert second.returncode == 0, second.stderr
    assert "cached build reused" in second.stdout
    assert (tmp_path / "a.wasm").read_bytes() == (tmp_path / "b.wasm").read_bytes()

"""Building JavaScript guests: the toolchain is really there, errors name file:line, caching.

These tests need Node.js 20+, npm and `scripts/setup`; without them they fail (never skip)
with a message that says what to install.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path
from types import ModuleType

import pytest

from host.runtime.engine import EpochTicker, create_engine
from host.runtime.loader import Loader
from host.runtime.output import GuestOutput
from host.runtime.sandbox import Limits, Sandbox
from tests.guests.conftest import make_guest
from tests.runtime.conftest import Scope, get

REPO = Path(__file__).resolve().parents[2]
BUILD_GUEST = REPO / "scripts" / "build-guest"


def build(
    src: Path, out: Path, *extra: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run scripts/build-guest."""
    return subprocess.run(
        [str(BUILD_GUEST), *extra, str(src), str(out)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
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
    with pytest.raises(build_guest.BuildError, match=r"need Node\.js 20\.19\+ or 22\.12\+ and npm"):
        build_guest.JavaScriptBuilder().toolchain()


@pytest.mark.parametrize("version", ["v18.19.0", "v20.18.1", "v21.7.3", "v22.11.0", "vX"])
def test_unsupported_node_is_a_clear_error(
    build_guest: ModuleType, monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    monkeypatch.setattr(build_guest.shutil, "which", lambda name: "/usr/bin/node")
    monkeypatch.setattr(build_guest, "run_tool", lambda cmd, what: f"{version}\n")
    expected = (
        rf"need Node\.js 20\.19\+ or 22\.12\+ \(what componentize-js supports\), found {version}"
    )
    with pytest.raises(build_guest.BuildError, match=expected):
        build_guest.JavaScriptBuilder().toolchain()


@pytest.mark.parametrize("version", ["v20.19.0", "v20.20.2", "v22.12.0", "v24.1.0"])
def test_supported_node_versions(build_guest: ModuleType, version: str) -> None:
    assert build_guest.JavaScriptBuilder.node_supported(version)


def test_the_node_range_matches_package_json_and_setup() -> None:
    engines = json.loads((REPO / "package.json").read_text())["engines"]["node"]
    assert engines == "^20.19.0 || >=22.12.0"
    assert "20.19" in (REPO / "scripts" / "setup").read_text()


def test_a_missing_lockfile_is_a_clear_error(
    build_guest: ModuleType, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(build_guest, "LOCKFILE", tmp_path / "package-lock.json")
    with pytest.raises(build_guest.BuildError, match=r"package-lock\.json is missing"):
        build_guest.JavaScriptBuilder().toolchain()


def test_a_folder_with_both_workers_is_a_clear_error(tmp_path: Path) -> None:
    guest = make_guest(tmp_path / "g", {"worker.py": "", "worker.js": ""})
    result = build(guest, tmp_path / "out.wasm")
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {guest} has both worker.py and worker.js")


def key(build_guest: ModuleType, builder: object, guest: Path, tmp_path: Path) -> str:
    """The cache key of `guest`, with a fresh scratch folder (esbuild runs in it)."""
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    return build_guest.cache_key(builder, guest, work)


BUNDLED_GUEST = {
    "worker.js": (
        'import { a } from "./lib/a.js";\n'
        'import { pkg } from "pkg";\n'
        'import { gen } from "./dist/gen.js";\n'
        'import { dot } from "./.gen/dot.js";\n'
        'import data from "./public/data.json";\n'
        "export default { fetch: () => Response.json({ a, pkg, gen, dot, data }) };\n"
    ),
    "lib/a.js": "export const a = 1;\n",
    "node_modules/pkg/package.json": '{"name": "pkg", "main": "index.js"}\n',
    "node_modules/pkg/index.js": "export const pkg = 1;\n",
    "dist/gen.js": "export const gen = 1;\n",
    ".gen/dot.js": "export const dot = 1;\n",
    "public/data.json": '{"v": 1}\n',
    "public/index.html": "v1",
    "lib/unused.js": "export const unused = 1;\n",
    "notes.txt": "not code",
}


def test_cache_key_follows_every_bundled_file_and_nothing_else(
    build_guest: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builder = build_guest.JavaScriptBuilder()
    monkeypatch.setattr(builder, "toolchain", lambda: "componentize-js test")
    guest = make_guest(tmp_path / "g", BUNDLED_GUEST)
    first = key(build_guest, builder, guest, tmp_path)
    # Files the worker does not import leave the key alone: assets, notes, unused modules.
    make_guest(guest, {"public/index.html": "v2", "notes.txt": "edited", "lib/unused.js": "//"})
    assert key(build_guest, builder, guest, tmp_path) == first
    # Every file it does import changes it, wherever it is in the guest folder.
    seen = {first}
    for rel in ["lib/a.js", "node_modules/pkg/index.js", "dist/gen.js", ".gen/dot.js"]:
        make_guest(guest, {rel: BUNDLED_GUEST[rel].replace("= 1", "= 2")})
        seen.add(key(build_guest, builder, guest, tmp_path))
    make_guest(guest, {"public/data.json": '{"v": 2}\n'})
    seen.add(key(build_guest, builder, guest, tmp_path))
    assert len(seen) == 6
    # So do the toolchain, the SDK and the WIT world.
    before = key(build_guest, builder, guest, tmp_path)
    monkeypatch.setattr(builder, "toolchain", lambda: "componentize-js other")
    assert key(build_guest, builder, guest, tmp_path) != before
    assert [label for label, _ in builder.inputs()] == ["sdk", "wit"]


def test_the_bundle_and_key_do_not_depend_on_where_the_guest_is(
    build_guest: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builder = build_guest.JavaScriptBuilder()
    monkeypatch.setattr(builder, "toolchain", lambda: "componentize-js test")
    here = make_guest(tmp_path / "g", BUNDLED_GUEST)
    there = make_guest(tmp_path / "deeper" / "down" / "g2", BUNDLED_GUEST)
    work = tmp_path / "work"
    work.mkdir()
    assert key(build_guest, builder, here, tmp_path) == key(build_guest, builder, there, tmp_path)
    list(builder.key_items(there, work))
    bundle = (work / builder.bundle).read_text()
    for machine_path in (str(REPO), str(tmp_path), "// ../"):
        assert machine_path not in bundle
    assert "// wasmhost-sdk/serve.js\n" in bundle
    assert "// worker.js\n" in bundle


def test_imports_from_outside_the_guest_folder_are_refused(tmp_path: Path) -> None:
    make_guest(tmp_path, {"shared/msg.js": 'export const msg = "hi";\n'})
    make_guest(tmp_path, {"node_modules/above/package.json": '{"name": "above"}\n'})
    make_guest(tmp_path, {"node_modules/above/index.js": "export const above = 1;\n"})
    guest = make_guest(
        tmp_path / "g",
        {
            "worker.js": 'import { msg } from "../shared/msg.js";\n'
            'import { above } from "above";\n'
            "export default { fetch: () => new Response(msg + above) };\n"
        },
    )
    result = build(guest, tmp_path / "out.wasm")
    assert result.returncode == 1, result.stdout
    assert (
        'worker.js:1:21: error: "../shared/msg.js" resolves to ../shared/msg.js, outside the '
        "guest folder (a guest is built only from the files in its folder); copy it into the "
        "guest folder" in result.stderr
    )
    assert (
        'worker.js:2:23: error: "above" resolves to ../node_modules/above/index.js, outside the '
        "guest folder" in result.stderr
    )
    assert "run `npm install above` in the guest folder" in result.stderr


def test_the_repository_toolchain_is_not_bundled_into_a_guest_inside_it() -> None:
    """The repo's own node_modules (esbuild, componentize-js, their dependencies) sits above
    every guest folder in the repo; a guest importing one of those packages is refused."""
    guest = Path(tempfile.mkdtemp(dir=REPO / "tests" / "guests", prefix="tmp-inside-"))
    try:
        make_guest(
            guest,
            {"worker.js": 'import "es-module-lexer";\nexport default { fetch() {} };\n'},
        )
        result = build(guest, guest / "out.wasm")
    finally:
        shutil.rmtree(guest)
    assert result.returncode == 1, result.stdout
    assert '"es-module-lexer" resolves to ../../../node_modules/es-module-lexer/' in result.stderr


def test_the_python_key_still_covers_its_sources(
    build_guest: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builder = build_guest.PythonBuilder()
    guest = make_guest(tmp_path / "g", {"worker.py": "", "lib/a.py": "", "public/x.html": ""})
    names = [name for name, _ in builder.key_items(guest, tmp_path)]
    assert names[:2] == ["guest/lib/a.py", "guest/worker.py"]
    assert any(name.startswith("sdk/") for name in names)
    assert any(name.startswith("wit/") for name in names)
    assert not any(name.startswith("guest/public") for name in names)
    assert list(tmp_path.iterdir()) == [guest]  # nothing was built to compute it


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
    "node-builtin": (
        {"worker.js": 'import { Buffer } from "node:buffer";\nimport path from "path";\n'
                      "export default { fetch: () => new Response(path.sep + Buffer.from(1)) };\n"},
        ['worker.js:1:24: error: Could not resolve "node:buffer"',
         '"node:buffer" is a Node.js built-in module; Node.js built-ins are not available in a '
         "wasmhost guest",
         'worker.js:2:18: error: Could not resolve "path"',
         '"path" is a Node.js built-in module'],
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
def test_broken_guests_fail_with_a_clear_message(
    build_guest: ModuleType, tmp_path: Path, case: str
) -> None:
    files, expected = BROKEN[case]
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    guest = make_guest(tmp_path / case, files)
    result = build(guest, tmp_path / "out.wasm", "--no-cache", env=env)
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith("Error: the JavaScript build failed")
    for text in expected:
        assert text in result.stderr
    assert "node_modules/" not in result.stderr  # no toolchain stack traces
    assert not (tmp_path / "out.wasm").exists()
    assert list(tmp.iterdir()) == []
    if case == "node-builtin":
        assert "npm install" not in result.stderr
    if case == "throwing-top-level":  # it fails in componentize-js, in the work folder
        scratch = tmp_path / "scratch"
        scratch.mkdir()
        key = build_guest.cache_key(build_guest.JavaScriptBuilder(), guest, scratch)
        assert not (build_guest.WORK_DIR / key).exists()


def test_a_second_build_reuses_the_cached_component(tmp_path: Path) -> None:
    worker = 'import { t } from "./t.js";\nexport default { fetch: () => new Response(t) };\n'
    unique = f'export const t = "{uuid.uuid4()}";\n'  # never built before: no cache hit
    guest = make_guest(tmp_path / "tiny", {"worker.js": worker, "t.js": unique})
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(tmp)}
    first = build(guest, tmp_path / "a.wasm", env=env)
    assert first.returncode == 0, first.stderr
    assert "built " in first.stdout
    assert list(tmp.iterdir()) == []  # the tools' temporary files went to .cache/guests/work
    second = build(guest, tmp_path / "b.wasm")
    assert second.returncode == 0, second.stderr
    assert "cached build reused" in second.stdout
    assert (tmp_path / "a.wasm").read_bytes() == (tmp_path / "b.wasm").read_bytes()


def test_an_endless_top_level_loop_times_out_and_leaves_nothing_behind(
    build_guest: ModuleType, tmp_path: Path
) -> None:
    guest = make_guest(
        tmp_path / "loop",
        {"worker.js": "let i = 0;\nfor (;;) i++;\nexport default { fetch() {} };\n"},
    )
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {**os.environ, "BUILD_GUEST_TIMEOUT": "8", "TMPDIR": str(tmp)}
    started = time.monotonic()
    result = build(guest, tmp_path / "out.wasm", "--no-cache", env=env, timeout=120)
    assert time.monotonic() - started < 60
    assert result.returncode == 1, result.stdout
    assert result.stderr.startswith(
        "Error: the JavaScript build did not finish within 8 s: the module's top "
        "level did not finish at build time"
    )
    assert "set BUILD_GUEST_TIMEOUT=SECONDS to allow longer" in result.stderr
    assert not (tmp_path / "out.wasm").exists()
    assert list(tmp.iterdir()) == []  # the tools' temporary files went to .cache/guests/work
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    key = build_guest.cache_key(build_guest.JavaScriptBuilder(), guest, scratch)
    work = build_guest.WORK_DIR / key
    assert not work.exists()
    assert not list(build_guest.CACHE_DIR.glob(f"{key}*.tmp"))
    left = [p for p in Path("/proc").glob("[0-9]*") if str(work).encode() in cmdline(p)]
    assert left == [], "the build's processes (node, wizer) were not all killed"


def cmdline(process: Path) -> bytes:
    try:
        return (process / "cmdline").read_bytes()
    except OSError:
        return b""


def test_a_bad_timeout_setting_is_a_clear_error(tmp_path: Path) -> None:
    guest = make_guest(tmp_path / "g", {"worker.js": "export default { fetch() {} };\n"})
    env = {**os.environ, "BUILD_GUEST_TIMEOUT": "soon"}
    result = build(guest, tmp_path / "out.wasm", env=env)
    assert result.returncode == 1
    assert "BUILD_GUEST_TIMEOUT must be a number of seconds, not 'soon'" in result.stderr
    assert "Traceback" not in result.stderr


def test_help_documents_the_timeout() -> None:
    result = subprocess.run([str(BUILD_GUEST), "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert "BUILD_GUEST_TIMEOUT" in " ".join(result.stdout.split())


TYPED_WORKER = """\
interface Env { ASSETS: { fetch(request: Request): Promise<Response> } }

const answer = (n: number): string => `typed ${n}`;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    return new Response(answer(40 + 2));
  },
};
"""


@pytest.mark.parametrize("entry", ["worker.ts", "src/index.ts"])
def test_a_typescript_entry_builds_like_javascript_and_answers(tmp_path: Path, entry: str) -> None:
    guest = make_guest(tmp_path / "typed", {entry: TYPED_WORKER})
    out = tmp_path / "typed.wasm"
    result = build(guest, out)
    assert result.returncode == 0, result.stdout + result.stderr
    engine = create_engine()
    ticker = EpochTicker(engine).start()
    try:
        worker = Loader(engine, tmp_path / "compiled", b"secret").compile(out.read_bytes())
        scope = Scope()
        response = Sandbox(engine, Limits()).fetch(worker, scope, GuestOutput("t", 4096), get())
    finally:
        ticker.stop()
    body = scope.bodies.take(response.body) if isinstance(response.body, int) else response.body
    assert (response.status, body) == (200, b"typed 42")


def test_main_names_the_entry_when_a_folder_has_several(tmp_path: Path) -> None:
    guest = make_guest(
        tmp_path / "two", {"worker.js": "export default {};", "src/index.ts": TYPED_WORKER}
    )
    refused = build(guest, tmp_path / "x.wasm")
    assert "has both worker.js and src/index.ts" in refused.stderr
    chosen = build(guest, tmp_path / "y.wasm", "--main", str(guest / "src/index.ts"))
    assert chosen.returncode == 0, chosen.stderr

"""Build a guest folder into a WebAssembly component for wasmhost, reusing cached builds.

Usage: wasmhost build SRC_DIR OUT.wasm [--no-cache] (scripts/build-guest runs it)

The language comes from the entry module in SRC_DIR: `worker.py` is Python (componentize-py),
`worker.js`, `worker.ts`, `src/index.js` or `src/index.ts` is JavaScript or TypeScript (esbuild,
then componentize-js; see guests/sdk/js/build.mjs); a project config may name it (`main`). Builds
are cached in `.cache/guests/` under a sha256 of everything that goes into them: the toolchain
versions, this script, the SDK, the WIT world, and the guest: for Python its source files (not
`public/`), for JavaScript the bundle esbuild makes of it (every file it really imports; esbuild
runs on every build, it takes well under a second, and only componentize-js is cached). The
cache keeps within `WASMHOST_BUILD_CACHE_MB` (1024 by default), least recently used first.

Builds run in `.cache/guests/work/` (the build tools' temporary files too, through TMPDIR),
which is cleaned up afterwards, also when a build fails or runs longer than the time limit
(BUILD_GUEST_TIMEOUT seconds, default 300: a JavaScript module's top level runs at build time).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from host.disk_budget import keep_within

REPO = Path(__file__).resolve().parent.parent
WIT_DIR = REPO / "guests" / "wit"
WORLD = "worker"
CACHE_DIR = REPO / ".cache" / "guests"
WORK_DIR = CACHE_DIR / "work"
CACHE_MB_VARIABLE = "WASMHOST_BUILD_CACHE_MB"
CACHE_MB = 1024  # the guest build cache's size unless the variable says otherwise
TIMEOUT_VARIABLE = "BUILD_GUEST_TIMEOUT"
DEFAULT_TIMEOUT = 300
SKIP_ANYWHERE = frozenset({"__pycache__", "node_modules"})
SKIP_SUFFIXES = (".wasm", ".pyc", ".pyo", ".tmp")
SETUP_HINT = "run scripts/setup to install the guest toolchains"
NODE_HINT = "install Node.js and npm, then run scripts/setup"
LOCKFILE = REPO / "package-lock.json"


class BuildError(Exception):
    """A build failure with the message to show and the exit code to use."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class Builder:
    """One guest language: how to recognise, fingerprint and build it."""

    language = ""
    entries: tuple[str, ...] = ()  # entry modules this language is recognised by, in order
    skip_top = frozenset({"public", "build", "dist"})

    def __init__(self, entry: str | None = None) -> None:
        self.entry = entry or self.entries[0]

    def toolchain(self) -> str:
        """Name and version of the toolchain (part of the cache key); fails if missing."""
        raise NotImplementedError

    def inputs(self) -> list[tuple[str, Path]]:
        """Folders besides the guest whose files go into the build (SDK, WIT)."""
        return [("wit", WIT_DIR)]

    def key_items(self, src: Path, work: Path) -> Iterator[tuple[str, bytes]]:
        """What the cache key covers besides the toolchain and this script, as (name, bytes):
        by default the guest's source files and the inputs' files. `work` is the build's
        scratch folder (it becomes the folder `build` runs in)."""
        yield from folder_items("guest", src, self.skip_top)
        for label, root in self.inputs():
            yield from folder_items(label, root)

    def build(self, src: Path, work: Path, out: Path) -> None:
        """Build the guest in `src` into the component `out`, with `work` as scratch folder."""
        raise NotImplementedError


class PythonBuilder(Builder):
    """Python guests: `worker.py` plus the SDK, componentized with componentize-py."""

    language = "python"
    entries = ("worker.py",)
    sdk = REPO / "guests" / "sdk" / "python"
    app_module = "wasmhost_app"

    def tool(self) -> str:
        """Path of componentize-py: beside this Python (the venv) or on PATH."""
        beside = Path(sys.executable).parent / "componentize-py"
        found = str(beside) if beside.is_file() else shutil.which("componentize-py")
        if not found:
            raise BuildError(f"componentize-py is not installed; {SETUP_HINT}")
        return found

    def toolchain(self) -> str:
        """`componentize-py --version`, e.g. "componentize-py 0.25.1"."""
        return run_tool([self.tool(), "--version"], "componentize-py --version").strip()

    def inputs(self) -> list[tuple[str, Path]]:
        """The Python SDK and the WIT world."""
        return [("sdk", self.sdk), *super().inputs()]

    def command(self, src: Path, out: Path) -> list[str]:
        """The componentize-py command line for one build."""
        return [
            self.tool(), "-q", "-d", str(WIT_DIR), "-w", WORLD,
            "componentize", self.app_module,
            "-p", str(self.sdk), "-p", str(src),
            "-o", str(out),
        ]  # fmt: skip

    def build(self, src: Path, work: Path, out: Path) -> None:
        """Run componentize-py; the SDK comes first on the path so it cannot be shadowed."""
        run_tool(self.command(src, out), "componentize-py", work=work)


class JavaScriptBuilder(Builder):
    """JavaScript guests: `worker.js` (a Workers module) bundled with the SDK by esbuild and
    componentized with componentize-js, both pinned in the repo's package.json."""

    language = "javascript"
    entries = ("worker.js", "worker.ts", "src/index.js", "src/index.ts")
    sdk = REPO / "guests" / "sdk" / "js"
    packages = ("@bytecodealliance/componentize-js", "esbuild")
    bundle = "wasmhost-bundle.js"
    # What componentize-js's dependencies (oxc, rolldown) declare: ^20.19.0 || >=22.12.0.
    node_versions = "20.19+ or 22.12+"

    @staticmethod
    def node_supported(version: str) -> bool:
        """Whether a `node --version` (e.g. "v22.12.0") is in ^20.19.0 || >=22.12.0."""
        parts = version.strip().lstrip("v").split(".")
        if len(parts) < 2 or not all(part.isdigit() for part in parts[:2]):
            return False
        major, minor = int(parts[0]), int(parts[1])
        return (major == 20 and minor >= 19) or (major, minor) >= (22, 12)

    def node(self) -> str:
        """Path of `node` on PATH, version-checked; fails clearly if missing or unsupported."""
        found = shutil.which("node")
        if not found:
            raise BuildError(
                f"JavaScript guests need Node.js {self.node_versions} and npm; {NODE_HINT}"
            )
        version = run_tool([found, "--version"], "node --version").strip()
        if not self.node_supported(version):
            raise BuildError(
                f"JavaScript guests need Node.js {self.node_versions} (what componentize-js "
                f"supports), found {version}; {NODE_HINT}"
            )
        return found

    def toolchain(self) -> str:
        """The pinned packages' installed versions plus the lockfile's hash."""
        self.node()
        wanted = json.loads((REPO / "package.json").read_text())["devDependencies"]
        found = []
        for name in self.packages:
            manifest = REPO / "node_modules" / name / "package.json"
            installed = json.loads(manifest.read_text())["version"] if manifest.is_file() else None
            if installed != wanted[name]:
                state = f"{installed} is installed" if installed else "it is not installed"
                raise BuildError(f"{name} {wanted[name]} is needed but {state}; {SETUP_HINT}")
            found.append(f"{name} {installed}")
        if not LOCKFILE.is_file():
            raise BuildError(
                "package-lock.json is missing: it pins the JavaScript guest toolchain; "
                "restore it (git checkout package-lock.json), then run scripts/setup"
            )
        lock = hashlib.sha256(LOCKFILE.read_bytes()).hexdigest()[:16]
        return f"{', '.join(found)}, lock {lock}"

    def inputs(self) -> list[tuple[str, Path]]:
        """The JavaScript SDK (with its build script) and the WIT world."""
        return [("sdk", self.sdk), *super().inputs()]

    def key_items(self, src: Path, work: Path) -> Iterator[tuple[str, bytes]]:
        """The bundle esbuild makes in `work` (every file the guest really imports, and only
        those: an import from outside the guest folder is refused), the SDK and WIT world."""
        run_tool(self.command("bundle", src, self.entry, work), "the JavaScript build", work=work)
        yield "bundle", (work / self.bundle).read_bytes()
        for label, root in self.inputs():
            yield from folder_items(label, root)

    def command(self, step: str, *args: str | Path) -> list[str]:
        """A guests/sdk/js/build.mjs command line: `bundle` (esbuild) or `componentize`."""
        return [self.node(), str(self.sdk / "build.mjs"), step, *map(str, args)]

    def build(self, src: Path, work: Path, out: Path) -> None:
        """Componentize the bundle in `work`; errors name the guest's file:line."""
        run_tool(
            self.command("componentize", work, WIT_DIR, out),
            "the JavaScript build",
            work=work,
            timeout_hint=(
                ": the module's top level did not finish at build time (componentize-js runs it "
                "to snapshot the worker); look for an endless loop or long work at the top "
                "level of your modules, outside fetch()"
            ),
        )


BUILDERS: tuple[type[Builder], ...] = (PythonBuilder, JavaScriptBuilder)
SUFFIXES = {".py": PythonBuilder, ".js": JavaScriptBuilder, ".mjs": JavaScriptBuilder,
            ".ts": JavaScriptBuilder, ".mts": JavaScriptBuilder}  # fmt: skip


def build_timeout() -> float:
    """Seconds a build tool may run: BUILD_GUEST_TIMEOUT, or DEFAULT_TIMEOUT."""
    value = os.environ.get(TIMEOUT_VARIABLE, "").strip()
    if not value:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0
    if not seconds > 0:
        raise BuildError(f"{TIMEOUT_VARIABLE} must be a number of seconds, not {value!r}")
    return seconds


def run_tool(cmd: list[str], what: str, work: Path | None = None, timeout_hint: str = "") -> str:
    """Run a toolchain command; on failure raise BuildError carrying its output.

    The command runs in its own process group, killed whole when it runs past build_timeout()
    (componentize-js runs wizer as a child). With `work`, temporary files go to `work`/tmp.
    """
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env.update(RUST_BACKTRACE="0", RUST_LIB_BACKTRACE="0")
    if work is not None:
        tmp = work / "tmp"
        tmp.mkdir(exist_ok=True)
        env.update(TMPDIR=str(tmp), TMP=str(tmp), TEMP=str(tmp))
    limit = build_timeout()
    try:
        process = subprocess.Popen(
            cmd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        raise BuildError(f"could not run {what}: {exc}; {SETUP_HINT}") from exc
    try:
        stdout, stderr = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        kill_group(process)
        raise BuildError(
            f"{what} did not finish within {limit:g} s{timeout_hint}; "
            f"set {TIMEOUT_VARIABLE}=SECONDS to allow longer"
        ) from None
    except BaseException:
        kill_group(process)
        raise
    if process.returncode != 0:
        output = tidy(stdout + stderr) or "(no output)"
        raise BuildError(f"{what} failed (exit {process.returncode}):\n{output}")
    return stdout


def kill_group(process: subprocess.Popen[str]) -> None:
    """Kill a tool and everything it started, and reap it."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def tidy(output: str) -> str:
    """Drop componentize-py's own wrapper traceback, keeping the guest's error."""
    marker = "AssertionError: Traceback"
    if output.startswith("Traceback") and marker in output:
        output = output[output.index(marker) + len("AssertionError: ") :]
    return output.strip()


def detect(src: Path, main: Path | None = None) -> Builder:
    """The builder for the guest in `src`: by `main` (an entry module inside `src`, as a
    project config names it) or by the entry module found in `src`."""
    if not src.is_dir():
        raise BuildError(f"no such guest folder: {src}")
    if main is not None:
        return _builder_for_main(src, main)
    found = [cls(entry) for cls in BUILDERS for entry in cls.entries if (src / entry).is_file()]
    if len(found) > 1:
        both = " and ".join(b.entry for b in found)
        raise BuildError(
            f"{src} has both {both}: a guest folder holds one worker; "
            "move the one you do not deploy elsewhere, or name it as main in wasmhost.toml"
        )
    if found:
        return found[0]
    entries = "; ".join(f"{' or '.join(cls.entries)} ({cls.language})" for cls in BUILDERS)
    raise BuildError(f"no entry module in {src}: expected {entries}")


def _builder_for_main(src: Path, main: Path) -> Builder:
    """The builder for an entry module named explicitly."""
    if not main.is_file():
        raise BuildError(f"main {main} does not exist")
    try:
        relative = main.resolve().relative_to(src.resolve()).as_posix()
    except ValueError:
        raise BuildError(f"main {main} is outside the guest folder {src}") from None
    cls = SUFFIXES.get(main.suffix)
    if cls is None:
        raise BuildError(f"main {main}: expected a .py, .js or .ts module")
    if cls is PythonBuilder and relative != "worker.py":
        raise BuildError(f"main {main}: a Python guest's entry module is worker.py")
    return cls(relative)


def source_files(root: Path, skip_top: frozenset[str] = frozenset()) -> list[tuple[str, Path]]:
    """(relative posix path, path) of the files under `root` that go into a build, sorted."""
    found: list[tuple[str, Path]] = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if not skipped(d) and not (here == root and d in skip_top)]
        for name in files:
            if not skipped(name) and not name.endswith(SKIP_SUFFIXES):
                found.append(((here / name).relative_to(root).as_posix(), here / name))
    return sorted(found)


def skipped(name: str) -> bool:
    """Whether a file or folder name is never part of a build (hidden, caches)."""
    return name.startswith(".") or name in SKIP_ANYWHERE


def folder_items(
    label: str, root: Path, skip_top: frozenset[str] = frozenset()
) -> Iterator[tuple[str, bytes]]:
    """(`label`/relative path, bytes) of each file under `root` that goes into a build."""
    for rel, path in source_files(root, skip_top):
        yield f"{label}/{rel}", path.read_bytes()


def cache_key(builder: Builder, src: Path, work: Path | None = None) -> str:
    """sha256 over the toolchain, this script and the builder's key items (see key_items);
    `work` is the scratch folder they may need (a fresh one, removed afterwards, if None)."""
    if work is None:
        with scratch_folder() as scratch:
            return cache_key(builder, src, scratch)
    digest = hashlib.sha256()
    feed(digest, "toolchain", builder.toolchain().encode())
    feed(digest, "script", Path(__file__).read_bytes())
    for name, data in builder.key_items(src, work):
        feed(digest, name, data)
    return digest.hexdigest()


def feed(digest: hashlib._Hash, name: str, data: bytes) -> None:
    """Add one named, length-prefixed item to the digest."""
    label = name.encode()
    digest.update(len(label).to_bytes(8, "big") + label)
    digest.update(len(data).to_bytes(8, "big") + data)


@contextmanager
def scratch_folder() -> Iterator[Path]:
    """A new folder under .cache/guests/work, removed afterwards whatever happens."""
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(dir=WORK_DIR, prefix="new-"))
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


@contextmanager
def work_folder(scratch: Path, key: str) -> Iterator[Path]:
    """`scratch` moved to .cache/guests/work/KEY, a fixed path (build tools record the paths
    they work in), for one build at a time: concurrent builds of the same guest take turns."""
    lock_path = WORK_DIR / f"{key}.lock"
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        work = WORK_DIR / key
        shutil.rmtree(work, ignore_errors=True)  # left by a build that was killed
        scratch.rename(work)
        try:
            yield work
        finally:
            shutil.rmtree(work, ignore_errors=True)
        # Done (a build waiting for this lock now finds the component in the cache). A failed
        # build leaves the lock file for prune() rather than race with the builds after it.
        lock_path.unlink(missing_ok=True)


def build_into_cache(builder: Builder, src: Path, work: Path, cached: Path) -> None:
    """Build to a temporary file in the cache, then move it into place atomically."""
    cached.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=cached.parent, prefix=cached.stem, suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        builder.build(src, work, tmp)
        tmp.chmod(0o644)
        os.replace(tmp, cached)
    finally:
        tmp.unlink(missing_ok=True)


def publish(cached: Path, out: Path) -> None:
    """Copy the cached component to `out` atomically."""
    if out.is_dir():
        raise BuildError(f"output path is a folder: {out}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.copyfile(cached, tmp)
    os.replace(tmp, out)


def prune(cache_dir: Path, max_bytes: int | None = None) -> None:
    """Keep the cached components within `max_bytes` (`WASMHOST_BUILD_CACHE_MB`), least recently
    used deleted first, and delete what killed builds left in the work folder over a day ago."""
    keep_within(cache_dir.glob("*.wasm"), cache_budget() if max_bytes is None else max_bytes)
    work = cache_dir / "work"
    for left in work.iterdir() if work.is_dir() else ():
        try:
            old = time.time() - left.stat().st_mtime > 86_400
        except FileNotFoundError:
            continue
        if old and left.is_dir():
            shutil.rmtree(left, ignore_errors=True)
        elif old:
            left.unlink(missing_ok=True)


def cache_budget() -> int:
    """The guest build cache's size in bytes: `WASMHOST_BUILD_CACHE_MB` or 1024 MB."""
    raw = os.environ.get(CACHE_MB_VARIABLE, "")
    if raw and not (raw.isascii() and raw.isdigit() and int(raw) > 0):
        raise BuildError(f"{CACHE_MB_VARIABLE} must be a whole number of megabytes, not {raw!r}")
    return int(raw or CACHE_MB) * 1024 * 1024


def megabytes(path: Path) -> str:
    """A file's size as "18.2 MB"."""
    return f"{path.stat().st_size / 1e6:.1f} MB"


def build_guest(src: Path, out: Path, use_cache: bool = True, main: Path | None = None) -> bool:
    """Build `src` (its entry module `main`, or the one found) into `out`; returns True when a
    cached build was reused."""
    builder = detect(src, main)
    with scratch_folder() as scratch:
        key = cache_key(builder, src, scratch)
        cached = CACHE_DIR / f"{key}.wasm"
        if use_cache and reuse(cached, out, builder, key):
            return True
        with work_folder(scratch, key) as work:
            if use_cache and reuse(cached, out, builder, key):  # a concurrent build made it
                return True
            print(f"building {src.resolve().name} ({builder.language}) …", flush=True)
            started = time.monotonic()
            build_into_cache(builder, src, work, cached)
    publish(cached, out)
    print(f"built {out} ({megabytes(out)}) in {time.monotonic() - started:.1f} s")
    prune(CACHE_DIR)
    return False


def reuse(cached: Path, out: Path, builder: Builder, key: str) -> bool:
    """Publish the cached component if there is one; returns whether there was."""
    if not cached.is_file():
        return False
    os.utime(cached)
    publish(cached, out)
    print(f"cached build reused: {out} ({megabytes(out)}, {builder.language}, {key[:12]})")
    return True

"""Build a guest folder into a WebAssembly component for wasmhost, reusing cached builds.

Usage: scripts/build-guest SRC_DIR OUT.wasm [--no-cache]

The language comes from the entry module in SRC_DIR: `worker.py` is Python (componentize-py),
`worker.js` is JavaScript (esbuild, then componentize-js; see guests/sdk/js/build.mjs). Builds
are cached in `.cache/guests/` under a sha256 of everything that goes into them: the guest's
source files (not `public/`), the SDK, the WIT world, the toolchain versions and this script.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WIT_DIR = REPO / "guests" / "wit"
WORLD = "worker"
CACHE_DIR = REPO / ".cache" / "guests"
CACHE_KEEP = 20
SKIP_ANYWHERE = frozenset({"__pycache__", "node_modules"})
SKIP_SUFFIXES = (".wasm", ".pyc", ".pyo", ".tmp")
SETUP_HINT = "run scripts/setup to install the guest toolchains"
NODE_HINT = "install Node.js and npm, then run scripts/setup"


class BuildError(Exception):
    """A build failure with the message to show and the exit code to use."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


class Builder:
    """One guest language: how to recognise, fingerprint and build it."""

    language = ""
    entry = ""
    skip_top = frozenset({"public", "build", "dist"})

    def toolchain(self) -> str:
        """Name and version of the toolchain (part of the cache key); fails if missing."""
        raise NotImplementedError

    def inputs(self) -> list[tuple[str, Path]]:
        """Folders besides the guest whose files go into the build (SDK, WIT)."""
        return [("wit", WIT_DIR)]

    def build(self, src: Path, out: Path) -> None:
        """Build the guest in `src` into the component `out`."""
        raise NotImplementedError


class PythonBuilder(Builder):
    """Python guests: `worker.py` plus the SDK, componentized with componentize-py."""

    language = "python"
    entry = "worker.py"
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

    def build(self, src: Path, out: Path) -> None:
        """Run componentize-py; the SDK comes first on the path so it cannot be shadowed."""
        run_tool(self.command(src, out), "componentize-py")


class JavaScriptBuilder(Builder):
    """JavaScript guests: `worker.js` (a Workers module) bundled with the SDK by esbuild and
    componentized with componentize-js, both pinned in the repo's package.json."""

    language = "javascript"
    entry = "worker.js"
    sdk = REPO / "guests" / "sdk" / "js"
    packages = ("@bytecodealliance/componentize-js", "esbuild")
    min_node = 20

    def node(self) -> str:
        """Path of `node` on PATH, version-checked; fails clearly if missing or too old."""
        found = shutil.which("node")
        if not found:
            raise BuildError(
                f"JavaScript guests need Node.js {self.min_node}+ and npm; {NODE_HINT}"
            )
        version = run_tool([found, "--version"], "node --version").strip()
        major = version.lstrip("v").split(".")[0]
        if not major.isdigit() or int(major) < self.min_node:
            raise BuildError(
                f"JavaScript guests need Node.js {self.min_node}+, found {version}; {NODE_HINT}"
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
        lock = hashlib.sha256((REPO / "package-lock.json").read_bytes()).hexdigest()[:16]
        return f"{', '.join(found)}, lock {lock}"

    def inputs(self) -> list[tuple[str, Path]]:
        """The JavaScript SDK (with its build script) and the WIT world."""
        return [("sdk", self.sdk), *super().inputs()]

    def command(self, src: Path, out: Path) -> list[str]:
        """The build command: guests/sdk/js/build.mjs runs esbuild, then componentize-js."""
        return [
            self.node(),
            str(self.sdk / "build.mjs"),
            str(src),
            self.entry,
            str(WIT_DIR),
            str(out),
        ]

    def build(self, src: Path, out: Path) -> None:
        """Bundle and componentize; errors name the guest's file:line."""
        run_tool(self.command(src, out), "the JavaScript build")


BUILDERS: list[Builder] = [PythonBuilder(), JavaScriptBuilder()]


def run_tool(cmd: list[str], what: str) -> str:
    """Run a toolchain command; on failure raise BuildError carrying its output."""
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    env.update(RUST_BACKTRACE="0", RUST_LIB_BACKTRACE="0")
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    except OSError as exc:
        raise BuildError(f"could not run {what}: {exc}; {SETUP_HINT}") from exc
    if done.returncode != 0:
        output = tidy(done.stdout + done.stderr) or "(no output)"
        raise BuildError(f"{what} failed (exit {done.returncode}):\n{output}")
    return done.stdout


def tidy(output: str) -> str:
    """Drop componentize-py's own wrapper traceback, keeping the guest's error."""
    marker = "AssertionError: Traceback"
    if output.startswith("Traceback") and marker in output:
        output = output[output.index(marker) + len("AssertionError: ") :]
    return output.strip()


def detect(src: Path) -> Builder:
    """The builder whose entry module is in `src`."""
    if not src.is_dir():
        raise BuildError(f"no such guest folder: {src}")
    for builder in BUILDERS:
        if (src / builder.entry).is_file():
            return builder
    entries = " or ".join(f"{b.entry} ({b.language})" for b in BUILDERS)
    raise BuildError(f"no entry module in {src}: expected {entries}")


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


def cache_key(builder: Builder, src: Path) -> str:
    """sha256 over the toolchain, this script and every input file's path and bytes."""
    digest = hashlib.sha256()
    feed(digest, "toolchain", builder.toolchain().encode())
    feed(digest, "script", Path(__file__).read_bytes())
    groups = [("guest", src, builder.skip_top)]
    groups += [(label, root, frozenset()) for label, root in builder.inputs()]
    for label, root, skip_top in groups:
        for rel, path in source_files(root, skip_top):
            feed(digest, f"{label}/{rel}", path.read_bytes())
    return digest.hexdigest()


def feed(digest: hashlib._Hash, name: str, data: bytes) -> None:
    """Add one named, length-prefixed item to the digest."""
    label = name.encode()
    digest.update(len(label).to_bytes(8, "big") + label)
    digest.update(len(data).to_bytes(8, "big") + data)


def build_into_cache(builder: Builder, src: Path, cached: Path) -> None:
    """Build to a temporary file in the cache, then move it into place atomically."""
    cached.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=cached.parent, prefix=cached.stem, suffix=".tmp")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        builder.build(src, tmp)
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


def prune(cache_dir: Path, keep: int = CACHE_KEEP) -> None:
    """Delete all but the `keep` most recently used cached components."""
    entries = sorted(cache_dir.glob("*.wasm"), key=lambda p: p.stat().st_mtime, reverse=True)
    for stale in entries[keep:]:
        stale.unlink(missing_ok=True)


def megabytes(path: Path) -> str:
    """A file's size as "18.2 MB"."""
    return f"{path.stat().st_size / 1e6:.1f} MB"


def build_guest(src: Path, out: Path, use_cache: bool = True) -> bool:
    """Build `src` into `out`; returns True when a cached build was reused."""
    builder = detect(src)
    key = cache_key(builder, src)
    cached = CACHE_DIR / f"{key}.wasm"
    if use_cache and cached.is_file():
        os.utime(cached)
        publish(cached, out)
        print(f"cached build reused: {out} ({megabytes(out)}, {builder.language}, {key[:12]})")
        return True
    print(f"building {src.resolve().name} ({builder.language}) …", flush=True)
    started = time.monotonic()
    build_into_cache(builder, src, cached)
    publish(cached, out)
    print(f"built {out} ({megabytes(out)}) in {time.monotonic() - started:.1f} s")
    prune(CACHE_DIR)
    return False


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line: SRC_DIR OUT.wasm [--no-cache]."""
    parser = argparse.ArgumentParser(
        prog="build-guest", description="Build a guest folder into a WebAssembly component."
    )
    parser.add_argument(
        "src", type=Path, metavar="SRC_DIR", help="guest folder (has worker.py or worker.js)"
    )
    parser.add_argument("out", type=Path, metavar="OUT.wasm", help="component to write")
    parser.add_argument("--no-cache", action="store_true", help="rebuild even if cached")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    args = parse_args(argv)
    try:
        build_guest(args.src, args.out, use_cache=not args.no_cache)
    except BuildError as exc:
        print(f"build-guest: error: {exc}", file=sys.stderr)
        return exc.code
    return 0


if __name__ == "__main__":
    sys.exit(main())

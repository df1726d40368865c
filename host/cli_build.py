"""`wasmhost build SRC_DIR OUT.wasm`: build a guest folder into a component (cached)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from host.guest_build import DEFAULT_TIMEOUT, TIMEOUT_VARIABLE, BuildError, build_guest

BUILD_EPILOG = (
    f"Each build tool run may take {DEFAULT_TIMEOUT} s at most (set {TIMEOUT_VARIABLE}=SECONDS"
    " to change it): a JavaScript module's top level runs at build time, so an endless loop"
    " there fails the build instead of hanging it. Builds are cached in .cache/guests/ and run"
    " in .cache/guests/work/ (temporary files too)."
)


@click.command(epilog=BUILD_EPILOG)
@click.argument("src", type=click.Path(path_type=Path), metavar="SRC_DIR")
@click.argument("out", type=click.Path(path_type=Path), metavar="OUT.wasm")
@click.option("--no-cache", is_flag=True, help="Rebuild even if a cached build matches.")
@click.option(
    "--main",
    type=click.Path(path_type=Path),
    help="The entry module inside SRC_DIR (default: worker.py, worker.js, worker.ts,"
    " src/index.js or src/index.ts, whichever is there).",
)
def build(src: Path, out: Path, no_cache: bool, main: Path | None) -> None:
    """Build a guest folder (Python, JavaScript or TypeScript) into a WebAssembly component."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    try:
        build_guest(src, out, use_cache=not no_cache, main=main)
    except BuildError as error:
        raise click.ClickException(str(error)) from None

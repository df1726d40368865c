"""`python -m host` is the `wasmhost` command."""

from host.cli import main

main(prog_name="wasmhost")

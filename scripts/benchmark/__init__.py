"""The parts of scripts/bench: wasmhost against a plain Falcon app in the same run."""

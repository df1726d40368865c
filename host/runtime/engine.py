"""The wasmtime engine every guest runs on, and the ticker that enforces CPU deadlines."""

from __future__ import annotations

import hashlib
import threading
import time
from importlib.metadata import version

from wasmtime import Config, Engine
from wasmtime import _ffi as ffi

from host.runtime import wasmtime_fixes

TICK_SECONDS = 0.01
# Concurrency support (component-model async) stays off: no guest uses it, and with it on,
# wasmtime 50 traps a host function given two or more borrowed handles in a list, which the
# host's own WASI `poll` must take (tests/runtime/test_wasmtime_canary.py).
ENGINE_SETTINGS = {
    "epoch_interruption": True,
    "cranelift_opt_level": "speed",
    "concurrency_support": False,
}


def create_engine() -> Engine:
    """An engine for components with epoch interruption (how deadlines stop a guest)."""
    wasmtime_fixes.install()
    config = Config()
    config.epoch_interruption = ENGINE_SETTINGS["epoch_interruption"]
    config.cranelift_opt_level = str(ENGINE_SETTINGS["cranelift_opt_level"])
    ffi.wasmtime_config_concurrency_support_set(
        config.ptr(), bool(ENGINE_SETTINGS["concurrency_support"])
    )
    return Engine(config)


def engine_fingerprint() -> str:
    """Names the wasmtime version and engine settings compiled artifacts depend on."""
    settings = repr(sorted(ENGINE_SETTINGS.items())).encode()
    return f"wasmtime-{version('wasmtime')}-{hashlib.sha256(settings).hexdigest()[:12]}"


def deadline_ticks(milliseconds: int) -> int:
    """How many ticks of the ticker make up `milliseconds`."""
    return max(1, round(milliseconds / 1000 / TICK_SECONDS))


class EpochTicker:
    """A daemon thread that advances the engine's epoch once per tick of the monotonic clock.

    It counts ticks from the clock, not from its own wake-ups: under load the thread may wake
    late (it needs the GIL and a core), and it then catches up, so a deadline of n ticks still
    ends about n ticks after it was set.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="wasmhost-epoch", daemon=True)

    def start(self) -> EpochTicker:
        """Start ticking; returns self."""
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        """Whether the thread is ticking (deadlines can fire)."""
        return self._thread.is_alive() and not self._stop.is_set()

    def stop(self) -> None:
        """Stop ticking and wait for the thread to end."""
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        """Tick until stopped, making up for late wake-ups."""
        start = time.monotonic()
        done = 0
        while not self._stop.wait(TICK_SECONDS):
            due = int((time.monotonic() - start) / TICK_SECONDS)
            for _ in range(due - done):
                self._engine.increment_epoch()
            done = max(done, due)

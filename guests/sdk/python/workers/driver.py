"""Runs a worker's coroutine to completion without an event loop.

The SDK's awaitables finish synchronously, so stepping the coroutine is enough. A bare
yield (what `await asyncio.sleep(0)` does) is stepped past; anything else that suspends
could only be resumed by an event loop, which the guest does not have.
"""

from __future__ import annotations

import inspect
from typing import Any


def run(result: Any) -> Any:
    """Drive `result` to completion if it is awaitable; other values are returned as they are."""
    if not inspect.isawaitable(result):
        return result
    steps = result.__await__()
    try:
        while True:
            yielded = steps.send(None)
            if yielded is not None:
                _abandon(steps)
                raise RuntimeError(_never_completes(yielded))
    except StopIteration as done:
        return done.value


def _abandon(steps: Any) -> None:
    """Close a suspended coroutine so its `finally` blocks run."""
    close = getattr(steps, "close", None)
    if close is not None:
        close()


def _never_completes(yielded: Any) -> str:
    """The error text for an await that only an event loop could finish."""
    return (
        f"the worker awaited something that can never complete inside the guest ({yielded!r}): "
        "there is no event loop here. Await only the SDK's methods (request.text(), "
        "env.ASSETS.fetch(...), ...) and coroutines built on them; asyncio tasks, futures, "
        "timers and sleeps other than asyncio.sleep(0) are unavailable."
    )

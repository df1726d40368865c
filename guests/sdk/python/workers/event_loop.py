"""An asyncio event loop for one request, so a worker's async code runs as it would anywhere:
`await asyncio.sleep(0.1)`, `asyncio.gather(...)`, tasks, futures, `asyncio.timeout(...)`.

The guest has no sockets and no threads, so the loop has no I/O to watch: it runs what is
ready, and when nothing is, it sleeps until the next timer is due (a wait the host ends at the
request's wall-clock limit). Something awaited that nothing can ever complete (a future no one
sets) is reported as such instead of waiting forever. `ctx.wait_until(awaitable)` work is
finished after the response is computed, within a time budget, as in the JavaScript SDK.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import sys
import time
import traceback
from collections.abc import Awaitable
from typing import Any

# Seconds after the request started until which ctx.wait_until() work is awaited: the host's
# CPU deadline covers the whole call, and running out of it would lose the computed response.
WAIT_UNTIL_BUDGET_SECONDS = 0.5


class NeverCompletes(RuntimeError):
    """The worker awaited something that nothing in the guest can ever complete."""


class _NoIO:
    """The selector of a loop without I/O: waiting for events is sleeping until a timer."""

    def select(self, timeout: float | None) -> list[Any]:
        """Sleep `timeout` seconds (there is never I/O to wait for); None means forever."""
        if timeout is None:
            raise NeverCompletes(
                "the worker awaited something nothing in the guest can complete (a future no"
                " one sets, a lock no one releases): there is no I/O here; await the SDK's"
                " methods, sleeps and tasks of this request"
            )
        if timeout > 0:
            time.sleep(timeout)
        return []

    def close(self) -> None:
        """Nothing to release."""


class GuestEventLoop(asyncio.BaseEventLoop):
    """A BaseEventLoop whose only events are its timers."""

    def __init__(self) -> None:
        super().__init__()
        self._selector = _NoIO()

    def _process_events(self, event_list: list[Any]) -> None:
        """There are no I/O events."""

    def _write_to_self(self) -> None:
        """Nothing waits in a selector on another thread."""


class Context:
    """`ctx`, the third argument of `fetch(request, env, ctx)`."""

    __slots__ = ("_loop", "_tasks")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._tasks: list[asyncio.Future[Any]] = []

    def wait_until(self, awaitable: Awaitable[Any]) -> None:
        """Finish `awaitable` before the request completes (a failure is logged, not sent)."""
        self._tasks.append(asyncio.ensure_future(awaitable, loop=self._loop))

    def pass_through_on_exception(self) -> None:
        """Accepted for compatibility: there is no origin to fall back to."""

    def _pending(self) -> list[asyncio.Future[Any]]:
        """The wait_until work given so far."""
        return list(self._tasks)


def run_request(answer: Any, ctx: Context, started: float) -> Any:
    """What the worker's `fetch` returned, awaited on ctx's loop if it is awaitable; then its
    wait_until work (within the budget); then the loop is closed."""
    loop = ctx._loop
    try:
        if inspect.isawaitable(answer):
            answer = loop.run_until_complete(answer)
        _finish_wait_until(loop, ctx, started + WAIT_UNTIL_BUDGET_SECONDS)
        return answer
    finally:
        _cancel_the_rest(loop)
        loop.close()


def _finish_wait_until(loop: asyncio.AbstractEventLoop, ctx: Context, until: float) -> None:
    """Await the wait_until work until `until` (monotonic); log failures and what is left."""
    pending = ctx._pending()
    if not pending:
        return
    done, left = loop.run_until_complete(
        asyncio.wait(pending, timeout=max(0.0, until - time.monotonic()))
    )
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            print("A ctx.wait_until() task failed:", file=sys.stderr)
            traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    if left:
        print(
            f"ctx.wait_until(): gave up waiting for {len(left)} task(s)"
            f" {WAIT_UNTIL_BUDGET_SECONDS * 1000:.0f} ms into the request (the response is sent"
            " without them)",
            file=sys.stderr,
        )


def _cancel_the_rest(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel tasks still running when the request ends (a warm instance's next request must
    never run them), saying how many there were. A task that will not stop is left behind
    with its loop: the response is not lost for it."""
    left = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in left:
        task.cancel()
    if left:
        with contextlib.suppress(NeverCompletes):
            loop.run_until_complete(asyncio.wait(left, timeout=0))
        print(
            f"{len(left)} task(s) still running when the request ended were cancelled (to finish"
            " work after the response, pass it to ctx.wait_until())",
            file=sys.stderr,
        )


def new_context() -> Context:
    """A fresh loop for one request, and the `ctx` bound to it."""
    loop = GuestEventLoop()
    asyncio.set_event_loop(loop)
    return Context(loop)

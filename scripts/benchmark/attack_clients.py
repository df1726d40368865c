"""Hostile clients, in a process of their own so that their Python never slows the good
client's measurements: one thread per client, each sending its attacks one after another
(waiting for every answer, as a client does) until it is told to stop.

A client refused with 503 and `Retry-After` (its project is at its share), or given no
answer, waits `REFUSED_PAUSE_SECONDS` before asking again: the rows measure what hostile guests
can take from others, not a flood of requests (rate limiting is out of scope). The clients stop
by themselves if the bench is gone.
"""

from __future__ import annotations

import http.client
import itertools
import multiprocessing
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from types import TracebackType
from typing import Any

from .client import host_header

CLIENT_TIMEOUT_SECONDS = 120  # longer than a 30 s sleeper takes to answer
REFUSED_PAUSE_SECONDS = 0.2  # also after no answer (a server gone is not hammered)
PARENT_CHECK_SECONDS = 1.0
GATE_POLL_SECONDS = 0.05
JOIN_SECONDS = 1.0  # for all the clients together
REPORT_TIMEOUT_SECONDS = 30
NO_ANSWER = 0  # the status tallied when a request got no answer (timeout, reset)


@dataclass(frozen=True)
class Attack:
    """One hostile request: a name for the tally, the project and the path."""

    name: str
    project: str
    target: str


Tallies = dict[str, dict[int, int]]


class Gate:
    """Lets the clients' requests through, or holds them back while the server is looked at
    with nothing in flight; `busy` counts the requests let through and not answered yet."""

    def __init__(self, context: Any) -> None:
        self._open = context.Event()
        self._open.set()
        self._busy = context.Value("i", 0)

    def enter(self, stop: Event) -> bool:
        """Wait until the gate is open and count a request in; False once `stop` is set."""
        while not stop.is_set():
            self._count(1)  # counted before looking, so that `closed` waits for it
            if self._open.is_set():
                return True
            self._count(-1)
            self._open.wait(GATE_POLL_SECONDS)
        return False

    def leave(self) -> None:
        """A request let through was answered (or failed)."""
        self._count(-1)

    @contextmanager
    def closed(self, timeout: float) -> Iterator[None]:
        """Inside: no request in flight, none sent (TimeoutError if one is not answered in
        `timeout` seconds)."""
        self._open.clear()
        try:
            deadline = time.monotonic() + timeout
            while self._busy.value > 0:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"a hostile request took longer than {timeout:g} s")
                time.sleep(GATE_POLL_SECONDS)
            yield
        finally:
            self._open.set()

    def _count(self, change: int) -> None:
        """Add `change` to the requests in flight."""
        with self._busy.get_lock():
            self._busy.value += change


class Hostile:
    """Hostile clients on `port`, one per cycle of attacks, from `with` until its end; `sent`
    counts the answers they got so far, `tallies` (after the block) every status by attack,
    and `paused(timeout)` holds them back for a while."""

    def __init__(self, port: int, cycles: list[list[Attack]]) -> None:
        context = multiprocessing.get_context("spawn")
        self._stop = context.Event()
        self._sent = context.Value("q", 0)
        self._gate = Gate(context)
        self._results: Any = context.Queue()
        self._process = context.Process(
            target=run_clients,
            args=(port, cycles, self._stop, self._sent, self._gate, self._results),
            daemon=True,
        )
        self.tallies: Tallies = {}

    @property
    def sent(self) -> int:
        """Hostile requests answered (or failed) so far."""
        return int(self._sent.value)

    def paused(self, timeout: float) -> AbstractContextManager[None]:
        """Inside: no hostile request in flight, none sent (TimeoutError if one in flight is
        not answered within `timeout` seconds)."""
        return self._gate.closed(timeout)

    def __enter__(self) -> Hostile:
        self._process.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        try:
            self.tallies = self._results.get(timeout=REPORT_TIMEOUT_SECONDS)
        finally:
            self._process.join(REPORT_TIMEOUT_SECONDS)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()


def run_clients(
    port: int, cycles: list[list[Attack]], stop: Event, sent: Any, gate: Gate, results: Any
) -> None:
    """The client process: start every client, wait for `stop`, report the tallies."""
    tallies: dict[str, Counter[int]] = {}
    lock = threading.Lock()
    for cycle in cycles:
        for attack in cycle:
            tallies.setdefault(attack.name, Counter())
    threads = [
        threading.Thread(
            target=_client, args=(port, cycle, stop, sent, gate, tallies, lock), daemon=True
        )
        for cycle in cycles
    ]
    for thread in threads:
        thread.start()
    parent = multiprocessing.parent_process()
    while not stop.wait(PARENT_CHECK_SECONDS):
        if parent is None or not parent.is_alive():  # the bench was killed: stop with it
            stop.set()
    deadline = time.monotonic() + JOIN_SECONDS
    for thread in threads:
        # a client still waiting for a sleeper's answer is left (its thread is a daemon)
        thread.join(max(0.0, deadline - time.monotonic()))
    with lock:
        results.put({name: dict(counts) for name, counts in tallies.items()})


def _client(
    port: int,
    cycle: list[Attack],
    stop: Event,
    sent: Any,
    gate: Gate,
    tallies: dict[str, Counter[int]],
    lock: threading.Lock,
) -> None:
    """Send the cycle's attacks in turn, when the gate lets them, until `stop` is set."""
    for attack in itertools.cycle(cycle):
        if not gate.enter(stop):
            return
        try:
            status, refused = _send(port, attack)
        finally:
            gate.leave()
        with lock:
            tallies[attack.name][status] += 1
        with sent.get_lock():
            sent.value += 1
        if refused or status == NO_ANSWER:
            time.sleep(REFUSED_PAUSE_SECONDS)


def _send(port: int, attack: Attack) -> tuple[int, bool]:
    """Send one attack, read the whole answer: its status and whether it says retry later."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=CLIENT_TIMEOUT_SECONDS)
    try:
        connection.putrequest("GET", attack.target, skip_host=True, skip_accept_encoding=True)
        connection.putheader("Host", host_header(attack.project, port))
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Retry-After") is not None
    except (OSError, http.client.HTTPException):
        return NO_ANSWER, False
    finally:
        connection.close()


def describe(tallies: Tallies) -> str:
    """`loop-py: 503 (12), 200 (1); sleep-js: no answer (3)`: every attack's statuses, most
    first."""
    parts = []
    for name, counts in sorted(tallies.items()):
        ordered = sorted(counts.items(), key=lambda item: -item[1])
        statuses = ", ".join(f"{_status(status)} ({count:,})" for status, count in ordered)
        parts.append(f"{name}: {statuses or 'none answered'}")
    return "; ".join(parts)


def _status(status: int) -> str:
    """A status as the table shows it."""
    return "no answer" if status == NO_ANSWER else str(status)

"""The process model: worker processes share one listening socket, a parent supervises them.

`serve()` is generic (any WSGI app): it takes a factory, so each worker builds its own app
after the fork, and threads, engines and database connections never cross a fork. Call it
from the main thread; the parent starts no threads and opens nothing but the socket.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Callable
from errno import EADDRINUSE
from types import FrameType
from typing import Any, NoReturn

import waitress
from waitress import wasyncore

from host.allocator import limit_arenas
from host.body_limits import BodyPolicy, limit_bodies

log = logging.getLogger(__name__)

GRACE_SECONDS = 10.0  # how long a stopping server lets requests in flight finish
CLOSE_SECONDS = 1.0  # the end of the grace period, kept for closing the app
POLL_SECONDS = 0.2  # how often a worker looks up from its sockets to see if it should stop
FAST_FAILURE_SECONDS = 5.0  # a worker that exits sooner after it started failed at start
MAX_FAST_FAILURES = 5  # failures at start in a row after which the server gives up
BACKOFF_SECONDS = 0.25  # wait before restarting after a failure at start, doubled each time
BACKLOG = 1024  # connections the kernel queues until a worker accepts them
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)
SUPERVISED_SIGNALS = (signal.SIGCHLD, *STOP_SIGNALS)

AppFactory = Callable[[], Any]


class ServeError(Exception):
    """The server could not listen, or its workers kept failing at start."""


def serve(
    app_factory: AppFactory,
    *,
    host: str,
    port: int,
    workers: int,
    threads: int,
    max_request_body_size: int,
    on_ready: Callable[[int], None],
    grace_seconds: float = GRACE_SECONDS,
    body_policy: BodyPolicy | None = None,
    on_worker_exit: Callable[[int], object] = lambda pid: None,
) -> None:
    """Serve `app_factory()` with waitress until SIGTERM or SIGINT (workers=1: in this process).

    `on_ready(port)` is called once every worker has built its app, so a request sent after it
    is answered without waiting for a worker to start. No request body larger than
    `max_request_body_size` is read; `body_policy` picks a lower limit per request from its
    head (`host.body_limits`).
    """
    limit_arenas()  # before any thread starts; forked workers inherit it
    sock = listen(host, port)
    try:
        announce = functools.partial(on_ready, sock.getsockname()[1])
        # waitress refuses a body of its limit or more: one more byte lets the limit itself in
        options = {"threads": threads, "max_request_body_size": max_request_body_size + 1}
        worker = Worker(app_factory, sock, options, grace_seconds, body_policy)
        if workers == 1:
            worker.run(on_built=announce)
        else:
            supervisor = Supervisor(worker, workers, grace_seconds, on_worker_exit)
            supervisor.run(on_all_built=announce)
    finally:
        sock.close()


def listen(host: str, port: int) -> socket.socket:
    """A TCP socket bound to host:port (0: any free port) and listening."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as error:
        raise ServeError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as error:
        sock.close()
        hint = " (choose another --port, or stop what uses it)" if error.errno == EADDRINUSE else ""
        raise ServeError(f"cannot listen on {host}:{port}: {error.strerror}{hint}") from None
    return sock


class StopSignals:
    """While active, SIGTERM and SIGINT only note that the worker should stop (and when)."""

    def __init__(self) -> None:
        self.received_at: float | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> StopSignals:
        self._previous = {signum: signal.signal(signum, self._note) for signum in STOP_SIGNALS}
        # a forked worker starts with these blocked: what came meanwhile arrives now, noted
        signal.pthread_sigmask(signal.SIG_UNBLOCK, SUPERVISED_SIGNALS)
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _note(self, signum: int, frame: FrameType | None) -> None:
        """Remember when the first stop signal came."""
        if self.received_at is None:
            self.received_at = time.monotonic()


class Worker:
    """One waitress server on the shared socket: serves until told to stop, then drains."""

    def __init__(
        self,
        app_factory: AppFactory,
        sock: socket.socket,
        options: dict[str, Any],
        grace: float,
        body_policy: BodyPolicy | None = None,
    ) -> None:
        self._app_factory = app_factory
        self._sock = sock
        self._options = options
        self._grace = grace
        self._body_policy = body_policy

    def run(
        self, on_built: Callable[[], object] = lambda: None, supervisor_pid: int | None = None
    ) -> None:
        """Build the app, serve until a stop signal (or the supervisor is gone), close the app."""
        with StopSignals() as stop:
            app = self._app_factory()
            on_built()
            try:
                self._serve(app, stop, supervisor_pid)
            finally:
                close = getattr(app, "close", None)
                if callable(close):
                    close()

    def run_forked(self, supervisor_pid: int, built_fd: int) -> NoReturn:
        """The whole life of a forked worker process: exit 0 when stopped, 1 after an error.

        Once its app is built, the worker writes one byte to `built_fd` (the supervisor counts).
        """
        try:
            self.run(lambda: os.write(built_fd, b"."), supervisor_pid)
        except BaseException:
            log.exception("worker %d failed", os.getpid())
            _exit_now(1)
        _exit_now(0)

    def _serve(self, app: Any, stop: StopSignals, supervisor_pid: int | None) -> None:
        """Run waitress's loop until asked to stop, then let requests in flight finish."""
        sockets: dict[int, Any] = {}
        server = waitress.create_server(app, map=sockets, sockets=[self._sock], **self._options)
        if self._body_policy is not None:
            limit_bodies(sockets, self._body_policy)
        use_poll = server.adj.asyncore_use_poll
        while stop.received_at is None:
            wasyncore.loop(timeout=POLL_SECONDS, map=sockets, use_poll=use_poll, count=1)
            if supervisor_pid is not None and os.getppid() != supervisor_pid:
                log.warning("worker %d: the supervisor is gone; stopping", os.getpid())
                stop.received_at = time.monotonic()
        deadline = stop.received_at + self._grace - CLOSE_SECONDS
        _drain(server, sockets, use_poll, deadline)


def _drain(server: Any, sockets: dict[int, Any], use_poll: bool, deadline: float) -> None:
    """Accept nothing more; close each connection once it has no request left, until `deadline`.

    Waitress has no graceful stop of its own, so this uses its channel flags: a channel with
    no request in service is closed as soon as its output is sent (a request still arriving
    is dropped), and one whose request is running is left until that request is answered.
    """
    server.accepting = False
    while server.active_channels and time.monotonic() < deadline:
        for channel in list(server.active_channels.values()):
            if not channel.requests:
                channel.close_when_flushed = True
        wasyncore.loop(timeout=POLL_SECONDS, map=sockets, use_poll=use_poll, count=1)
    server.task_dispatcher.shutdown(timeout=max(deadline - time.monotonic(), POLL_SECONDS))
    wasyncore.close_all(sockets)


def _exit_now(code: int) -> NoReturn:
    """Leave a forked process at once (never unwinding into the parent's code)."""
    _flush_stdio()
    os._exit(code)


def _flush_stdio() -> None:
    """Write out buffered output, so that a fork does not print it twice."""
    sys.stdout.flush()
    sys.stderr.flush()


class SignalPipe:
    """Signals as bytes on a pipe (Python's wakeup fd), so the parent can wait with a timeout."""

    def __init__(self, signums: tuple[int, ...]) -> None:
        self._signums = signums
        self._read, self._write = os.pipe()
        for fd in (self._read, self._write):
            os.set_blocking(fd, False)
        self._previous_fd = -1
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> SignalPipe:
        self._previous_fd = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        self._previous = {signum: signal.signal(signum, _wake) for signum in self._signums}
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        signal.set_wakeup_fd(self._previous_fd)
        os.close(self._read)
        os.close(self._write)

    def wait(self, timeout: float | None, also: int | None = None) -> set[int]:
        """The signals that arrive within `timeout` seconds (None: wait for one).

        Returns early, with no signal, when the descriptor `also` becomes readable.
        """
        watched = [self._read] if also is None else [self._read, also]
        ready, _, _ = select.select(watched, [], [], timeout)
        return set(os.read(self._read, 4096)) if self._read in ready else set()

    def forget(self) -> None:
        """In a forked worker: let go of the parent's pipe and handlers."""
        signal.set_wakeup_fd(-1)
        os.close(self._read)
        os.close(self._write)
        for signum in self._signums:
            signal.signal(signum, signal.SIG_DFL)


def _wake(signum: int, frame: FrameType | None) -> None:
    """Nothing to do here: the byte Python writes to the wakeup pipe is the message."""


class Supervisor:
    """Keeps `count` forked workers running; on SIGTERM or SIGINT stops them all."""

    def __init__(
        self,
        worker: Worker,
        count: int,
        grace_seconds: float,
        on_exit: Callable[[int], object] = lambda pid: None,
    ) -> None:
        self._worker = worker
        self._on_exit = on_exit  # told each exited worker's pid
        self._grace = grace_seconds
        self._pid = os.getpid()
        self._running: dict[int, float] = {}  # pid -> when it started (monotonic)
        self._starts_due = [0.0] * count  # when each missing worker is to be started
        self._fast_failures = 0
        self._not_built = count  # first workers yet to build their apps
        self._built_read, self._built_write = os.pipe()

    def run(self, on_all_built: Callable[[], object]) -> None:
        """Supervise until a stop signal; raise ServeError if workers keep failing at start.

        `on_all_built()` is called once, when as many workers as asked for have built their apps.
        """
        with SignalPipe(SUPERVISED_SIGNALS) as signals:
            try:
                received: set[int] = set()
                while not received.intersection(STOP_SIGNALS):
                    self._start_due(signals)
                    received = signals.wait(self._until_next_start(), also=self._built_read)
                    self._count_built(on_all_built)
                    self._replace_exited()
                log.info("stopping %d workers", len(self._running))
            finally:
                self._stop_all(signals)
                os.close(self._built_read)
                os.close(self._built_write)

    def _count_built(self, on_all_built: Callable[[], object]) -> None:
        """Count workers that built their apps; call `on_all_built` when the first all have."""
        if not select.select([self._built_read], [], [], 0)[0]:
            return
        before = self._not_built
        self._not_built = max(0, before - len(os.read(self._built_read, 4096)))
        if before and not self._not_built:
            on_all_built()

    def _until_next_start(self) -> float | None:
        """Seconds until a worker is due to start (None: none is)."""
        if not self._starts_due:
            return None
        return max(0.0, min(self._starts_due) - time.monotonic())

    def _start_due(self, signals: SignalPipe) -> None:
        """Fork the workers whose start time has come."""
        now = time.monotonic()
        due = [at for at in self._starts_due if at <= now]
        self._starts_due = [at for at in self._starts_due if at > now]
        for _ in due:
            self._fork(signals)

    def _fork(self, signals: SignalPipe) -> None:
        """Start one worker (signals wait, blocked, until it has its own handlers)."""
        _flush_stdio()
        signal.pthread_sigmask(signal.SIG_BLOCK, SUPERVISED_SIGNALS)
        try:
            pid = os.fork()
            if pid == 0:
                signals.forget()
                self._worker.run_forked(self._pid, self._built_write)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, SUPERVISED_SIGNALS)
        self._running[pid] = time.monotonic()
        log.info("worker %d started", pid)

    def _replace_exited(self) -> None:
        """Log each worker that exited and schedule another in its place."""
        for pid, status, lifetime in self._reap():
            what = f"worker {pid} {describe_exit(status)} after {lifetime:.1f} s"
            delay = self._restart_delay(what, lifetime)
            log.warning("%s; starting another in %.2f s", what, delay)
            self._starts_due.append(time.monotonic() + delay)

    def _restart_delay(self, what: str, lifetime: float) -> float:
        """0 after a worker that ran a while; after failures at start, a doubling wait (or stop)."""
        if lifetime >= FAST_FAILURE_SECONDS:
            self._fast_failures = 0
            return 0.0
        self._fast_failures += 1
        if self._fast_failures >= MAX_FAST_FAILURES:
            raise ServeError(
                f"workers keep failing at start ({self._fast_failures} in a row, the last:"
                f" {what}); see the log above"
            )
        return BACKOFF_SECONDS * 2.0 ** (self._fast_failures - 1)

    def _reap(self) -> list[tuple[int, int, float]]:
        """Workers that exited since last asked: pid, wait status and seconds they ran."""
        exited = []
        while self._running:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            started = self._running.pop(pid, None)
            if started is not None:
                exited.append((pid, status, time.monotonic() - started))
                self._on_exit(pid)
        return exited

    def _stop_all(self, signals: SignalPipe) -> None:
        """SIGTERM every worker, wait up to the grace period, then SIGKILL the rest."""
        self._starts_due.clear()
        self._signal_all(signal.SIGTERM)
        deadline = time.monotonic() + self._grace
        while self._running and (left := deadline - time.monotonic()) > 0:
            signals.wait(left)
            for pid, status, _ in self._reap():
                log.info("worker %d %s", pid, describe_exit(status))
        if self._running:
            log.warning("killing %d workers still busy after %s s", len(self._running), self._grace)
            self._signal_all(signal.SIGKILL)
            for pid in list(self._running):
                os.waitpid(pid, 0)
                del self._running[pid]
                self._on_exit(pid)

    def _signal_all(self, signum: int) -> None:
        """Send `signum` to every running worker."""
        for pid in self._running:
            with contextlib.suppress(ProcessLookupError):  # exited already; reaped next
                os.kill(pid, signum)


def describe_exit(status: int) -> str:
    """`exited with status N` or `was killed by SIGNAME`, for a wait status."""
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with status {code}"

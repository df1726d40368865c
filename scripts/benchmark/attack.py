"""The attack rows of issue 8, each on a fresh `wasmhost serve` with wasmhost's own defaults:
its default threads per worker (32) and limits (`project_concurrency` 8, a 1 s CPU deadline, a
30 s wall clock),
not the `--threads` of the throughput rows, so that one project's share stays below the
threads (the session's `--workers` is kept):

- a good project's median latency alone, then with eight hostile clients against several
  hostile projects (loops, sleepers, header bombs, asset refetch, log flood); no good request
  may fail;
- the same among 20 guests sleeping 30 s (requests to one hostile project) and 8 sleeping an
  hour (to another): a sleeper holds its thread until the 30 s wall-clock limit, gets its 504
  and asks again;
- the server's RSS at rest (the clients held back, nothing in flight) a few times over a window
  of requests after the first ones of a fast hostile mix, and over the last window, compared by
  medians (with the RSS while the requests ran besides).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

from host.config import Settings

from . import client
from .attack_clients import Attack, Hostile, describe
from .attack_latency import alone_and_attacked, latency_row
from .attack_projects import (
    BIG_ASSET,
    BOMB,
    GOOD,
    HOSTILE_JS,
    HOSTILE_PY,
    SMALL_BOMB,
    deploy_attack_projects,
)
from .attack_rss import Stalled, rss_window
from .examples import Example
from .processes import Server
from .progress import say
from .rows import TIMES, Row, failed_row
from .session import Session

SERVE_THREADS = Settings().threads
DEFAULTS = (
    f"wasmhost's defaults: --threads {SERVE_THREADS},"
    f" project_concurrency {Settings().project_concurrency}"
)
MIX = (
    "attack-mix",
    f"good project's median latency, 8 hostile clients / alone (`/api/hello`; {DEFAULTS})",
)
SLEEPERS = (
    "attack-sleepers",
    "good project's median latency among 20 guests sleeping 30 s and 8 sleeping an hour / alone"
    f" ({DEFAULTS})",
)
RSS_KEY = "attack-rss"
KEYS = (MIX[0], SLEEPERS[0], RSS_KEY)
REFETCH = f"/asset-refetch?path={BIG_ASSET}&times=50"

MIX_CLIENTS = [
    [Attack("loop-py", HOSTILE_PY, "/loop")],
    [Attack("loop-js", HOSTILE_JS, "/loop")],
    [Attack("sleep-py", HOSTILE_PY, "/sleep?seconds=3600")],
    [Attack("sleep-js", HOSTILE_JS, "/sleep?seconds=3600")],
    [Attack("headers-wat", BOMB, "/")],
    [Attack("headers-py", HOSTILE_PY, "/headers-bomb?count=700000")],
    [Attack("refetch-py", HOSTILE_PY, REFETCH)],
    [Attack("flood-js", HOSTILE_JS, "/flood")],
]
SLEEPER_CLIENTS = [[Attack("sleep-30s-py", HOSTILE_PY, "/sleep?seconds=30")]] * 20 + [
    [Attack("sleep-1h-js", HOSTILE_JS, "/sleep?seconds=3600")]
] * 8
# Many requests of every kind: mostly quick attacks (traps, forged handles, asset refetches,
# a header bomb), and one costly attack (a second or so of the host's time) in every eight.
QUICK = [
    Attack("trap-py", HOSTILE_PY, "/trap"),
    Attack("trap-js", HOSTILE_JS, "/trap"),
    Attack("forge-py", HOSTILE_PY, "/forge?handle=7"),
    Attack("forge-js", HOSTILE_JS, "/forge?handle=7&how=append"),
    Attack("refetch-py", HOSTILE_PY, REFETCH),
    Attack("refetch-js", HOSTILE_JS, REFETCH),
    Attack("headers-wat", SMALL_BOMB, "/"),
]
COSTLY = [
    Attack("headers-py", HOSTILE_PY, "/headers-bomb?count=100000"),
    Attack("big-js", HOSTILE_JS, "/big?bytes=2097152"),
    Attack("alloc-py", HOSTILE_PY, "/alloc"),
    Attack("alloc-js", HOSTILE_JS, "/alloc"),
    Attack("flood-js", HOSTILE_JS, "/flood"),
    Attack("recurse-py", HOSTILE_PY, "/recurse"),
]
RSS_MIX = [attack for costly in COSTLY for attack in (*QUICK, costly)]
RSS_CLIENTS = [RSS_MIX[n * 6 :] + RSS_MIX[: n * 6] for n in range(8)]  # each starts elsewhere
GRACE_SECONDS = "1"  # stopping a server with sleepers in it should not wait for their limit


def attack_rows(session: Session, good: Example) -> list[Row]:
    """Deploy the hostile projects beside the good one, then each attack row on its own host."""
    say("deploying the hostile projects (tests/guests/misbehave-py and -js, a WAT header bomb)")
    deploy_attack_projects(session.space, good)
    plan = session.plan
    mix = partial(_latency, MIX, MIX_CLIENTS, plan.alone_seconds, plan.attack_seconds)
    sleepers = partial(
        _latency, SLEEPERS, SLEEPER_CLIENTS, plan.alone_seconds, plan.sleepers_seconds
    )
    return [
        _on_fresh_host(session, MIX, mix),
        _on_fresh_host(session, SLEEPERS, sleepers),
        _on_fresh_host(session, (RSS_KEY, "RSS"), partial(_rss, session)),
    ]


def _latency(
    scenario: tuple[str, str],
    clients: list[list[Attack]],
    alone_seconds: float,
    seconds: float,
    host: Server,
) -> Row:
    """A latency row: the good project alone, then under the clients' attacks."""
    alone, attacked, tallies = alone_and_attacked(host.port, GOOD, clients, alone_seconds, seconds)
    return latency_row(*scenario, alone, attacked, tallies)


def _rss(session: Session, host: Server) -> Row:
    """The RSS row: after the first requests of the fast mix, after all of them."""
    plan = session.plan
    window, total, readings = plan.rss_first_requests, plan.rss_requests, plan.rss_readings
    pid = host.process.pid
    say(
        f"{len(RSS_CLIENTS)} hostile clients until {total:,} requests (RSS at rest {readings}"
        f" times over requests {window:,}-{2 * window:,} and over the last {window:,})"
    )
    with Hostile(host.port, RSS_CLIENTS) as hostile:
        first = rss_window(hostile, window, 2 * window, pid, total, readings)
        last = rss_window(hostile, total - window, total, pid, total, readings)
    ratio = last.median / first.median
    title = (
        f"RSS of the server's processes at rest (nothing in flight), median over the last"
        f" {window:,} of {total:,} hostile requests / over the {window:,} after the first"
        f" {window:,} ({DEFAULTS})"
    )
    row = Row(RSS_KEY, title, "py", TIMES, ratio, [ratio])
    row.detail = f"{last.describe()} vs {first.describe()}; hostile: {describe(hostile.tallies)}"
    return row


def _on_fresh_host(
    session: Session, scenario: tuple[str, str], measure: Callable[[Server], Row]
) -> Row:
    """Start a host, measure one row on it, check the good project still answers, stop it."""
    key, title = scenario
    host = _start(session, key)
    try:
        row = measure(host)
        after = client.get(host.port, GOOD, "/api/hello")
        if after.status != 200:
            row.problems.append(f"the good project answered {after.status} afterwards")
        return row
    except Stalled as error:
        say(f"{key}: invalid: {error}")
        return failed_row(key, title, "py", TIMES, str(error))
    finally:
        session.processes.stop(host)


def _start(session: Session, name: str) -> Server:
    """`wasmhost serve` on the bench's database with wasmhost's default threads and limits."""
    space = session.space
    space.logs.mkdir(exist_ok=True)
    return session.processes.start(
        f"wasmhost ({name})",
        serve_argv(space.db, session.workers),
        default_env(space.env()),
        space.logs / f"{name}.log",
    )


def serve_argv(db: Path, workers: int) -> list[str]:
    """The command line of an attack row's server: no --threads, so wasmhost's default."""
    command = [sys.executable, "-m", "host", "serve", "--port", "0", "--db", str(db)]
    return [*command, "--workers", str(workers), "--grace-seconds", GRACE_SECONDS]


def default_env(env: dict[str, str]) -> dict[str, str]:
    """`env` without any WASMHOST_ setting but the cache folder, so every limit is its default."""
    return {
        name: value
        for name, value in env.items()
        if not name.startswith("WASMHOST_") or name == "WASMHOST_CACHE_DIR"
    }

"""Prometheus metrics of a host process, and their exposition for `/metrics`.

Counters and histograms are updated where things happen (one request, one compile, one
deploy); `exposition()` renders them. With several worker processes, `wasmhost serve` sets
`PROMETHEUS_MULTIPROC_DIR` before any worker starts, so each worker writes its values to files
there and a scrape served by any worker adds them all up (prometheus_client's multi-process
mode). Gauges that live in a worker (warm instances) count only live workers' values.

Project labels come only from projects that exist: a request for an unknown subdomain counts
as `(unknown)`, the control plane as `(control)`, so clients cannot grow the label set.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from host.metrics_dir import MULTIPROCESS_VARIABLE
from host.storage.store import Store

CONTENT_TYPE = CONTENT_TYPE_LATEST
UNKNOWN_PROJECT = "(unknown)"
CONTROL_PLANE = "(control)"
SECONDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


@dataclass(frozen=True)
class Meters:
    """The metrics one host process updates."""

    requests: Counter
    request_seconds: Histogram
    guest_seconds: Histogram
    failures: Counter
    instances: Counter
    warm_instances: Gauge
    compiles: Counter
    deploys: Counter


@functools.cache
def meters() -> Meters:
    """This process's metrics, made on first use: in a worker, after `wasmhost serve` chose
    multi-process mode (prometheus_client reads the mode when a value is made, from a module
    attribute it sets at import, so it is read again here)."""
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    return Meters(
        requests=Counter(
            "wasmhost_requests", "Requests answered, by project and status.", ["project", "status"]
        ),
        request_seconds=Histogram(
            "wasmhost_request_duration_seconds",
            "Time from a request's arrival to the end of its answer, by project.",
            ["project"],
            buckets=SECONDS,
        ),
        guest_seconds=Histogram(
            "wasmhost_guest_duration_seconds",
            "Time spent in a guest's fetch (waits included), by project.",
            ["project"],
            buckets=SECONDS,
        ),
        failures=Counter(
            "wasmhost_guest_failures",
            "Requests a guest failed: traps and limits hit, by project and kind.",
            ["project", "kind"],
        ),
        instances=Counter(
            "wasmhost_instances_used",
            "Instances a request ran in: fresh (made for it) or reused (warm).",
            ["how"],
        ),
        warm_instances=Gauge(
            "wasmhost_warm_instances",
            "Ready instances kept in the pools of live workers.",
            multiprocess_mode="livesum",
        ),
        compiles=Counter(
            "wasmhost_compiled_workers",
            "Compiled components asked for, by where they came from: memory, disk (cache hits),"
            " shared (another host compiled it) or compiled (a miss).",
            ["source"],
        ),
        deploys=Counter("wasmhost_deploys", "Deployments, by outcome.", ["outcome"]),
    )


class DatabaseSize(Collector):
    """`wasmhost_database_bytes`: what the database holds, read at each scrape."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """One gauge: the SQLite file and its write-ahead log, or the PostgreSQL database."""
        yield GaugeMetricFamily(
            "wasmhost_database_bytes",
            "Size of the database (SQLite: its file and write-ahead log).",
            self._store.stored_bytes(),
        )


def exposition(store: Store) -> bytes:
    """Every metric in Prometheus text format, summed over worker processes when there are."""
    registry = CollectorRegistry()
    if os.environ.get(MULTIPROCESS_VARIABLE):
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry.register(_Default())
    registry.register(DatabaseSize(store))
    return generate_latest(registry)


class _Default(Collector):
    """The process's own registry, as one collector (so a scrape can add the database's size)."""

    def collect(self) -> Iterator[Metric]:
        """Everything the default registry holds."""
        yield from REGISTRY.collect()

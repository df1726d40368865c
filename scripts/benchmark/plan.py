"""How long and how often to measure: the full run and --quick."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """Durations and repetitions of one bench run."""

    wrk_seconds: int
    warmup_seconds: int
    repeats: int
    warm_projects: int = 50
    requests_per_warm_project: int = 4
    alone_seconds: float = 10  # the good project's latency alone (attack rows)
    attack_seconds: float = 20  # ... and under attack, once the attack is under way
    sleepers_seconds: float = 45  # ... among sleepers: past their 30 s wall-clock cut
    rss_first_requests: int = 1_000  # hostile requests before the first RSS reading
    rss_requests: int = 100_000  # ... and before the last
    rss_readings: int = 5  # readings at rest in each window

    @classmethod
    def full(cls) -> Plan:
        """About 10 s per wrk run and three samples of every one-shot scenario."""
        return cls(wrk_seconds=10, warmup_seconds=2, repeats=3)

    @classmethod
    def quick(cls) -> Plan:
        """About 1 s per wrk run and one sample of every one-shot scenario (a smoke run)."""
        return cls(
            wrk_seconds=1,
            warmup_seconds=1,
            repeats=1,
            alone_seconds=2,
            attack_seconds=3,
            sleepers_seconds=4,
            rss_first_requests=200,
            rss_requests=800,
            rss_readings=1,
        )

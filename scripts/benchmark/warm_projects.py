"""Resident memory with 50 projects warm: one worker deployed 50 times, each project used."""

from __future__ import annotations

from . import client
from .answers import WrongAnswer
from .examples import Example
from .many import deploy_to_many
from .memory import tree_rss_bytes
from .servers import start_wasmhost
from .session import Session

MIB = 1024 * 1024
TARGETS = ("/api/hello", "/")


def warm_rss_mib(session: Session, example: Example) -> float:
    """Deploy the example to N projects, send each a few requests, sum the server tree's RSS."""
    plan = session.plan
    projects = [f"warm-{example.language}-{n:02d}" for n in range(plan.warm_projects)]
    deploy_to_many(session.space, projects, example.worker, example.site)
    host = start_wasmhost(session)
    try:
        for project in projects:
            for number in range(plan.requests_per_warm_project):
                target = TARGETS[number % len(TARGETS)]
                status = client.get(host.port, project, target).status
                if status != 200:
                    raise WrongAnswer(f"{project} {target}: status {status}")
        return tree_rss_bytes(host.process.pid) / MIB
    finally:
        session.processes.stop(host)

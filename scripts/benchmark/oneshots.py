"""Scenarios measured one request or one command at a time, each repeated and its median kept.

A sample that fails (a refused deploy, a wrong answer) makes its row invalid, with the reason,
and the bench goes on with the other scenarios.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from .answers import WrongAnswer
from .deploys import deploy_small_files, first_after_deploy
from .examples import Example
from .processes import Server
from .progress import say
from .restart import Restarts
from .rows import Row, failed_row, timed_row
from .session import Session
from .warm_projects import warm_rss_mib
from .wasmhost import CommandFailed

DEPLOY = ("first-after-deploy", "first request after a deploy (compiled at deploy)", "ms")
RESTART = (
    "first-after-restart",
    "first request after a restart (sent as soon as the server prints that it listens)",
    "ms",
)
FILES = (
    "deploy-1000-files",
    "`wasmhost deploy` of 1,000 small files, worker already compiled",
    "ms",
)
RSS = ("rss-50-projects", "RSS of the server's processes, 50 projects warm", "MiB")


def timed(
    scenario: tuple[str, str, str], example: Example, repeats: int, sample: Callable[[int], float]
) -> Row:
    """`repeats` samples of one scenario (sample(0), sample(1), …) as a row."""
    key, title, unit = scenario
    try:
        samples = [sample(number) for number in range(repeats)]
    except (WrongAnswer, CommandFailed) as error:
        say(f"{example.project} {key}: invalid: {error}")
        return failed_row(key, title, example.language, unit, str(error))
    return timed_row(key, title, example.language, unit, samples)


def deploy_rows(session: Session, host: Server, examples: list[Example]) -> list[Row]:
    """Deploy each example (the first sample of its first-request-after-deploy row)."""
    rows = []
    for example in examples:
        say(f"deploying {example.project} (its worker compiles now)")
        sample = partial(first_after_deploy, session.space, host.port, example)
        rows.append(timed(DEPLOY, example, session.plan.repeats, sample))
    return rows


def later_rows(session: Session, host: Server, example: Example) -> tuple[list[Row], Server]:
    """The 1,000-file deploy and restart rows of one example, and the host now running."""
    say(f"deploying 1,000 files and restarting with {example.project}")
    repeats = session.plan.repeats
    sample = partial(deploy_small_files, session.space, host.port, example)
    files = timed(FILES, example, repeats, sample)
    restarts = Restarts(session, host, example)
    return [files, timed(RESTART, example, repeats, restarts.sample)], restarts.host


def rss_row(session: Session, example: Example) -> Row:
    """The memory row of one example."""
    say(f"{session.plan.warm_projects} projects of {example.project} warm")
    return timed(RSS, example, 1, lambda number: warm_rss_mib(session, example))

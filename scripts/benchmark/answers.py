"""The host's answers, checked before anything is timed and recorded for the baseline."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import client
from .examples import Example
from .scenarios import SCENARIOS, Scenario


class WrongAnswer(RuntimeError):
    """The host did not answer a scenario as the example should: timing it would be a lie."""


@dataclass
class Recording:
    """What the baseline must send back, the ETags the 304 scenario revalidates, and what
    the host got wrong (by project and scenario key): those scenarios are not timed."""

    entries: list[dict[str, Any]] = field(default_factory=list)
    etags: dict[tuple[str, str], str] = field(default_factory=dict)
    problems: dict[tuple[str, str], str] = field(default_factory=dict)

    def request_headers(self, project: str, scenario: Scenario) -> dict[str, str]:
        """The extra headers a scenario sends (If-None-Match for the 304 one)."""
        if not scenario.revalidate:
            return {}
        return {"If-None-Match": self.etags[(project, scenario.target)]}

    def write(self, path: Path) -> None:
        """Write the answers file the baseline app reads."""
        path.write_text(json.dumps(self.entries))


def record(port: int, examples: list[Example]) -> Recording:
    """Ask the server every scenario of every example, check each answer and keep it."""
    recording = Recording()
    for example in examples:
        for scenario in SCENARIOS:
            problem = _ask(port, example, scenario, recording)
            if problem is not None:
                recording.problems[(example.project, scenario.key)] = problem
    return recording


def _ask(port: int, example: Example, scenario: Scenario, recording: Recording) -> str | None:
    """Ask one scenario; keep a right answer (and its ETag), or say what is wrong with it."""
    where = (example.project, scenario.target)
    if scenario.revalidate and where not in recording.etags:
        return f"{example.project} {scenario.target}: no ETag to revalidate"
    headers = recording.request_headers(example.project, scenario)
    answer = client.get(port, example.project, scenario.target, headers)
    problem = scenario.problem(answer, example.site)
    if problem is not None:
        return f"{example.project} {scenario.target}: {problem}"
    if not scenario.revalidate:
        recording.entries.append(entry(example.project, scenario.target, answer))
        if "etag" in answer.headers:
            recording.etags[where] = answer.headers["etag"]
    return None


def entry(project: str, target: str, answer: client.Answer) -> dict[str, Any]:
    """One answer in the baseline's file format."""
    return {
        "project": project,
        "target": target,
        "status": answer.status,
        "headers": answer.headers,
        "body_base64": base64.b64encode(answer.body).decode("ascii"),
    }


def check_same(port: int, examples: list[Example], recording: Recording) -> None:
    """Check that the baseline on `port` answers every scenario as the host did."""
    replayed = record(port, examples)
    if replayed.entries != recording.entries or set(replayed.problems) != set(recording.problems):
        raise WrongAnswer("the baseline does not answer as the host does (a bench bug)")

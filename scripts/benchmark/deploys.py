"""One-shot deploy scenarios: the first request after a deploy, and a deploy of 1,000 files."""

from __future__ import annotations

from . import client
from .answers import WrongAnswer
from .examples import Example
from .scenarios import SCENARIOS
from .sites import small_files, unseen_worker
from .wasmhost import Workspace, deploy

HELLO = SCENARIOS[0]
SAMPLE_FILE = "/section-2/page-0002.txt"


def first_request_ms(port: int, example: Example, project: str) -> float:
    """Time one `/api/hello` to `project` and check it answered the greeting."""
    answer = client.get(port, project, HELLO.target)
    problem = HELLO.problem(answer, example.site)
    if problem is not None:
        raise WrongAnswer(f"{project} {HELLO.target}: {problem}")
    return answer.elapsed_ms


def first_after_deploy(space: Workspace, port: int, example: Example, number: int) -> float:
    """Deploy a worker the host never compiled, then time the first request.

    Sample 0 deploys the example itself (with its site, for the wrk scenarios); later ones
    deploy it with a custom section added, to a project of their own.
    """
    if number == 0:
        deploy(space, example.project, example.worker, example.site)
        return first_request_ms(port, example, example.project)
    project = f"{example.project}-fresh-{number}"
    out = space.root / f"{project}.wasm"
    deploy(space, project, unseen_worker(example.worker, project, out), None)
    return first_request_ms(port, example, project)


def deploy_small_files(space: Workspace, port: int, example: Example, number: int) -> float:
    """Time `wasmhost deploy` of 1,000 small files with a compiled worker; check one is served."""
    folder = space.root / "small-files"
    if not folder.exists():
        small_files(folder)
    project = f"files-{example.language}-{number}"
    elapsed_ms = deploy(space, project, example.worker, folder)
    answer = client.get(port, project, SAMPLE_FILE)
    if answer.status != 200 or answer.body != (folder / SAMPLE_FILE.lstrip("/")).read_bytes():
        raise WrongAnswer(f"{project} {SAMPLE_FILE}: status {answer.status} after the deploy")
    return elapsed_ms

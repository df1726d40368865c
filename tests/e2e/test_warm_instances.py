"""Warm instances over real HTTP, in both languages: module state carries over, requests do not.

The host here serves with one worker process and one thread, so consecutive requests to a
project meet the same warm instance whenever it is reused at all.
"""

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import Guest, Host, Started, start_host, stop_host

ENDED = "this body belongs to an earlier request, which has ended"


@pytest.fixture(scope="module")
def one_thread(tmp_path_factory: pytest.TempPathFactory, compiled_cache: Path) -> Iterator[Started]:
    """`wasmhost serve --workers 1 --threads 1`: one instance at a time per project."""
    work = tmp_path_factory.mktemp("warm")
    host = start_host(work, compiled_cache, "--workers", "1", "--threads", "1")
    yield host
    stop_host(host)


@pytest.fixture
def project(one_thread: Started, misbehave_guest: Guest, request: pytest.FixtureRequest) -> str:
    """The misbehaving guest freshly deployed under a project named after the test."""
    name = f"{request.node.name.split('[')[0][5:][:40]}-{misbehave_guest.language}"
    name = name.replace("_", "-")
    one_thread.deploy(name, misbehave_guest.worker)
    return name


def count(host: Host, project: str) -> int:
    """How many requests the instance that answered has counted."""
    reply = host.get(project, "/state/count")
    assert reply.status == 200, reply.text
    return int(reply.text)


def test_module_state_carries_over(one_thread: Started, project: str) -> None:
    assert [count(one_thread, project) for _ in range(4)] == [1, 2, 3, 4]


def test_strict_isolation_gives_every_request_a_fresh_instance(
    one_thread: Started, misbehave_guest: Guest
) -> None:
    project = f"strict-{misbehave_guest.language}"
    one_thread.deploy(project, misbehave_guest.worker, None, "--strict-isolation")
    assert [count(one_thread, project) for _ in range(3)] == [1, 1, 1]


def test_a_body_kept_from_an_earlier_request_is_refused(one_thread: Started, project: str) -> None:
    kept = one_thread.request(project, "/state/keep", "POST", body=b"first request's secret")
    assert (kept.status, kept.text) == (200, "kept")
    replay = one_thread.request(project, "/state/replay-read", "POST", body=b"second request")
    assert replay.status == 409
    assert replay.text.startswith(ENDED)
    assert "secret" not in replay.text
    assert one_thread.get(project, "/state/replay").status == 500
    assert "RequestEndedError" in one_thread.log_text()


def test_a_trapped_instance_is_never_reused(one_thread: Started, project: str) -> None:
    assert [count(one_thread, project) for _ in range(2)] == [1, 2]
    assert one_thread.get(project, "/trap").status == 500
    assert count(one_thread, project) == 1


def test_output_is_logged_with_its_own_request(one_thread: Started, project: str) -> None:
    for text in ("first-output-marker", "second-output-marker"):
        assert one_thread.get(project, f"/output?text={text}").status == 200
    log = one_thread.log_text()
    for text in ("first-output-marker", "second-output-marker"):
        assert log.count(f"[{project}] stdout: {text}") == 1
        assert log.count(f"[{project}] stderr: {text}") == 1


def test_timers_left_by_a_request_never_run_in_the_next(
    one_thread: Started, misbehave_js: Path
) -> None:
    one_thread.deploy("timers-js", misbehave_js)
    assert one_thread.get("timers-js", "/timer-left").status == 200
    time.sleep(0.1)
    assert one_thread.get("timers-js", "/state/count").status == 200
    log = one_thread.log_text()
    assert "1 timer(s) still pending when the request ended were cancelled" in log
    assert "left-behind timer fired" not in log


def test_a_new_deployment_starts_fresh(
    one_thread: Started, project: str, misbehave_guest: Guest
) -> None:
    assert [count(one_thread, project) for _ in range(2)] == [1, 2]
    one_thread.deploy(project, misbehave_guest.worker)
    assert count(one_thread, project) == 1


def test_projects_never_share_an_instance(one_thread: Started, misbehave_guest: Guest) -> None:
    first, second = (f"share-{n}-{misbehave_guest.language}" for n in ("a", "b"))
    for name in (first, second):
        one_thread.deploy(name, misbehave_guest.worker)
    assert [count(one_thread, first), count(one_thread, second), count(one_thread, first)] == [
        1,
        1,
        2,
    ]

"""Fixtures of the end-to-end tests: hosts started on demand, and the adversarial suite's
(tests/e2e/test_attack_*.py; its parts are in attacks.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import Started, start_host, stop_host
from tests.e2e import attacks


@pytest.fixture
def start(tmp_path: Path, compiled_cache: Path) -> Iterator[Callable[..., Started]]:
    """Starts hosts with the given serve options; kills whatever is left at the end."""
    started: list[Started] = []

    def start_one(*args: str, env: dict[str, str] | None = None) -> Started:
        work = tmp_path / f"host-{len(started)}"
        work.mkdir()
        started.append(start_host(work, compiled_cache, *args, env=env))
        return started[-1]

    yield start_one
    for host in started:
        stop_host(host)


@pytest.fixture(scope="session")
def attack_db(
    tmp_path_factory: pytest.TempPathFactory,
    compiled_cache: Path,
    misbehave_py: Path,
    misbehave_js: Path,
    hello_py: Path,
) -> Path:
    """Every project of the suite, deployed once; each attack host starts on a copy."""
    work = tmp_path_factory.mktemp("attack-db")
    hostile = {"py": misbehave_py, "js": misbehave_js}
    return attacks.prepare_database(work, compiled_cache, hostile, hello_py)


@pytest.fixture(params=attacks.LANGUAGES)
def hostile(request: pytest.FixtureRequest) -> str:
    """The language of the hostile guest: py, then js."""
    return str(request.param)

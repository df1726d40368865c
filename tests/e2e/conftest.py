"""Fixtures of the adversarial suite (tests/e2e/test_attack_*.py); its parts are in attacks.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import attacks


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

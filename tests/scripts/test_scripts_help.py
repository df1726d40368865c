"""Every script answers --help with its usage and does nothing else."""

import subprocess

import pytest

from tests.conftest import ROOT

SCRIPTS = sorted(
    path.name
    for path in (ROOT / "scripts").iterdir()
    if path.is_file() and path.read_text().startswith("#!/usr/bin/env bash")
)


def test_the_bash_scripts_are_found() -> None:
    assert {"bench", "build-guest", "demo", "setup", "test"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_prints_the_usage_and_exits(script: str, flag: str) -> None:
    result = subprocess.run(
        [str(ROOT / "scripts" / script), flag], capture_output=True, text=True, timeout=10
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() and result.stderr == ""
    assert "setup:" not in result.stdout  # nothing was installed or started

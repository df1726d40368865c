"""Settings refuse values the host cannot work with, naming the setting, before anything runs."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from host.cli import main
from host.config import Settings, SettingsError


@pytest.mark.parametrize("name", ["project_concurrency", "memory_limit_mb", "keep_versions"])
def test_numbers_below_one_are_refused(name: str) -> None:
    with pytest.raises(SettingsError, match=f"{name} must be a whole number of at least 1"):
        Settings(**{name: 0})


def test_a_project_memory_smaller_than_one_instance_is_refused() -> None:
    with pytest.raises(SettingsError, match=r"project_memory_mb \(64\) must be at least"):
        Settings(project_memory_mb=64, memory_limit_mb=128)
    assert Settings(project_memory_mb=64, memory_limit_mb=64).project_memory_mb == 64


def test_a_variable_that_is_not_a_number_names_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMHOST_PROJECT_MEMORY_MB", "lots")
    with pytest.raises(SettingsError, match="WASMHOST_PROJECT_MEMORY_MB must be a whole number"):
        Settings.from_env()


def test_serve_stops_at_a_bad_setting_before_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WASMHOST_PROJECT_MEMORY_MB", "16")
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "h.db"), "--port", "0"])
    assert result.exit_code == 1
    assert "project_memory_mb (16) must be at least memory_limit_mb (128)" in result.output
    assert not (tmp_path / "h.db").exists()

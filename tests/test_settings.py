"""Settings refuse values the host cannot work with, naming the setting, before anything runs."""

import re
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
        Settings.load()


def test_serve_stops_at_a_bad_setting_before_starting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WASMHOST_PROJECT_MEMORY_MB", "16")
    result = CliRunner().invoke(main, ["serve", "--db", str(tmp_path / "h.db"), "--port", "0"])
    assert result.exit_code == 1
    assert "project_memory_mb (16) must be at least memory_limit_mb (128)" in result.output
    assert not (tmp_path / "h.db").exists()


def write(path: Path, text: str) -> Path:
    """A config file with `text`."""
    path.write_text(text)
    return path


def test_a_flag_beats_a_variable_which_beats_the_file_which_beats_the_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = write(tmp_path / "h.toml", "cpu_deadline_ms = 300\nthreads = 12\nport = 0\n")
    monkeypatch.setenv("WASMHOST_THREADS", "20")
    settings = Settings.load(config, port=9000)
    assert (settings.cpu_deadline_ms, settings.threads, settings.port) == (300, 20, 9000)
    assert settings.wall_clock_ms == 30_000  # the default


def test_the_file_can_come_from_its_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WASMHOST_CONFIG", str(write(tmp_path / "h.toml", 'log_format = "json"\n')))
    assert Settings.load().log_format == "json"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("cpu_deadline = 5\n", "unknown setting 'cpu_deadline'"),
        ('threads = "many"\n', "threads must be a whole number, not 'many'"),
        ("threads = true\n", "threads must be a whole number, not True"),
        ("access_log = 1\n", "access_log must be true or false, not 1"),
        ("grace_seconds = 0.5\nport = 70000\n", "port must be at most 65535, not 70000"),
        ("port = -1\n", "port must be a whole number of at least 0, not -1"),
        ('base_domain = ""\n', "base_domain must be a domain name such as example.com"),
        ('log_level = "loud"\n', "log_level must be one of debug, info, warning, error"),
        ("threads = \n", "is not valid TOML"),
    ],
)
def test_a_bad_file_names_the_setting(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        Settings.load(write(tmp_path / "h.toml", text))


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="cannot read the config file"):
        Settings.load(tmp_path / "absent.toml")


@pytest.mark.parametrize(("raw", "value"), [("false", False), ("0", False), ("Yes", True)])
def test_a_switch_takes_the_usual_words(
    monkeypatch: pytest.MonkeyPatch, raw: str, value: bool
) -> None:
    monkeypatch.setenv("WASMHOST_ACCESS_LOG", raw)
    assert Settings.load().access_log is value


def test_a_switch_refuses_other_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WASMHOST_PUBLIC_METRICS", "maybe")
    with pytest.raises(SettingsError, match="WASMHOST_PUBLIC_METRICS must be true or false"):
        Settings.load()


def test_serve_refuses_an_empty_base_domain_before_starting(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    result = CliRunner().invoke(main, ["serve", "--db", str(db), "--base-domain", ""])
    assert result.exit_code == 1
    assert "base_domain must be a domain name" in result.output
    assert not db.exists()


def test_serve_names_a_bad_key_of_its_config_file(tmp_path: Path) -> None:
    config = write(tmp_path / "h.toml", "project_concurency = 4\n")
    result = CliRunner().invoke(main, ["serve", "--config", str(config)])
    assert result.exit_code == 1
    assert "unknown setting 'project_concurency'" in result.output

"""The README and --help stay true: every setting and command is documented."""

import re
from dataclasses import Field
from typing import Any

import pytest
from click.testing import CliRunner

from host.cli import main
from host.config import describe, env_name, settings_fields, shown_default
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("setting", settings_fields(), ids=lambda f: f.name)
def test_every_setting_is_in_the_readme_with_its_default(setting: Field[Any]) -> None:
    name = setting.name
    row = next((line for line in README.splitlines() if line.startswith(f"| `{name}` |")), None)
    assert row is not None, f"setting {name} missing from the README table"
    _, variable, default, meaning = (cell.strip() for cell in row.strip("|").split(" | "))
    assert variable == f"`{env_name(name)}`"
    assert default.strip("`") == shown_default(setting)
    assert meaning.replace("`", "")[:30] == setting.metadata["help"].replace("`", "")[:30]


SERVE_HELP = " ".join(
    CliRunner().invoke(main, ["serve", "--help"], terminal_width=200).output.split()
)


@pytest.mark.parametrize("setting", settings_fields(), ids=lambda f: f.name)
def test_every_setting_is_a_flag_of_serve_with_its_variable_and_default(
    setting: Field[Any],
) -> None:
    flag = "--" + setting.name.replace("_", "-")
    assert f"{flag} " in SERVE_HELP
    assert f"[{env_name(setting.name)}; default: {shown_default(setting)}]" in SERVE_HELP


@pytest.mark.parametrize("command", sorted(main.commands))  # type: ignore[attr-defined]
def test_every_command_has_help_and_is_in_the_readme(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    assert f"wasmhost {command}" in README


def test_readme_first_screen_has_the_two_commands() -> None:
    first_screen = "\n".join(README.splitlines()[:20])
    assert "scripts/demo" in first_screen
    assert "scripts/test" in first_screen


SECURITY = (ROOT / "SECURITY.md").read_text()
GUARANTEES = [line for line in SECURITY.splitlines() if line.startswith("| ") and "tests/" in line]


def test_security_lists_guarantees_each_with_a_test() -> None:
    assert len(GUARANTEES) >= 10
    for row in GUARANTEES:
        assert re.search(r"`tests/[\w/]+\.py", row.split("|")[-2]), row


@pytest.mark.parametrize(
    "reference", sorted(set(re.findall(r"`(tests/[\w/]+\.py(?:::\w+)?)`", SECURITY)))
)
def test_every_test_security_names_exists(reference: str) -> None:
    path, _, name = reference.partition("::")
    assert (ROOT / path).is_file(), f"{path} named in SECURITY.md does not exist"
    if name:
        assert f"def {name}(" in (ROOT / path).read_text(), f"{reference} does not exist"


@pytest.mark.parametrize(("name", "default", "help"), describe())
def test_security_limits_match_the_settings(name: str, default: object, help: str) -> None:
    row = next((line for line in SECURITY.splitlines() if line.startswith(f"| `{name}` |")), None)
    if row is not None:
        assert f"| {default} |" in row, f"SECURITY.md gives another default for {name}"


def test_wasmhost_alone_prints_help_and_succeeds() -> None:
    result = CliRunner().invoke(main, [], prog_name="wasmhost")
    assert result.exit_code == 0
    assert result.output.startswith("Usage: wasmhost")

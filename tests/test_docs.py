"""The README and --help stay true: every setting and command is documented."""

import pytest
from click.testing import CliRunner

from host.cli import main
from host.config import describe
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize(("name", "default", "help"), describe())
def test_every_setting_is_in_the_readme(name: str, default: object, help: str) -> None:
    row = next((line for line in README.splitlines() if line.startswith(f"| `{name}` |")), None)
    assert row is not None, f"setting {name} missing from the README table"
    assert f"`WASMHOST_{name.upper()}`" in row


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

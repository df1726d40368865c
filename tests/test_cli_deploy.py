"""`wasmhost deploy [DIR]` with a project config file (in-process, a real database file):
the file names the project, worker, assets and options; flags win; mistakes are one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from wasmtime import wat2wasm

from host.cli import main
from tests.runtime import wat_guests


def run(*args: str, cwd: Path | None = None) -> Result:
    """`wasmhost ARGS` in-process (compiled components cached beside the test's files)."""
    return CliRunner().invoke(main, list(args), env={"WASMHOST_CACHE_DIR": str(cwd or ".")})


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A project folder: a built WAT worker, a public/ folder and a wasmhost.toml."""
    (tmp_path / "w.wasm").write_bytes(wat2wasm(wat_guests.guest(wat_guests.HELLO)))
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "404.html").write_text("lost")
    (tmp_path / "wasmhost.toml").write_text(
        'name = "from-config"\nworker = "w.wasm"\n\n[assets]\ndirectory = "public"\n'
        'not_found_handling = "404-page"\n'
    )
    return tmp_path


def shown(db: Path, project: str) -> dict[str, object]:
    """`wasmhost project ID --json`."""
    result = run("project", project, "--db", str(db), "--json")
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.output))


def test_the_config_file_names_everything(folder: Path) -> None:
    db = folder / "h.db"
    result = run("deploy", str(folder), "--db", str(db), cwd=folder)
    assert result.exit_code == 0, result.output
    assert f"using {folder / 'wasmhost.toml'}" in result.output
    assert "deployed from-config version 1" in result.output
    project = shown(db, "from-config")
    assert project["active"]["asset_options"]["not_found_handling"] == "404-page"  # type: ignore[index]
    assert [f["path"] for f in project["files"]] == ["/404.html"]  # type: ignore[union-attr]


def test_flags_override_the_config_file(folder: Path) -> None:
    db = folder / "h.db"
    args = ("deploy", str(folder), "--db", str(db), "--project", "other")
    result = run(*args, "--not-found-handling", "none", cwd=folder)
    assert result.exit_code == 0, result.output
    active = shown(db, "other")["active"]
    assert active["asset_options"]["not_found_handling"] == "none"  # type: ignore[index]


def test_wrangler_keys_wasmhost_does_not_use_are_named(folder: Path) -> None:
    (folder / "wasmhost.toml").unlink()
    (folder / "wrangler.jsonc").write_text(
        '{"name": "wr", // comment\n "compatibility_date": "2025-01-01",'
        ' "assets": {"directory": "public"}, "vars": {"A": "1"},}'
    )
    result = run(
        "deploy",
        str(folder),
        "--worker",
        str(folder / "w.wasm"),
        "--db",
        str(folder / "h.db"),
        cwd=folder,
    )
    assert result.exit_code == 0, result.output
    assert "not used by wasmhost in wrangler.jsonc: compatibility_date" in result.output
    assert shown(folder / "h.db", "wr")["active"]["vars"] == {"A": "1"}  # type: ignore[index]


def test_vars_from_the_file_and_flags_replace_the_active_ones_else_are_kept(folder: Path) -> None:
    db = str(folder / "h.db")
    config = folder / "wasmhost.toml"
    config.write_text(config.read_text() + '\n[vars]\nMODE = "file"\nLEVEL = 3\n')
    assert run("deploy", str(folder), "--db", db, "--var", "MODE=flag", cwd=folder).exit_code == 0
    assert shown(folder / "h.db", "from-config")["active"]["vars"] == {"LEVEL": "3", "MODE": "flag"}  # type: ignore[index]
    config.write_text(config.read_text().split("[vars]")[0])
    assert run("deploy", str(folder), "--db", db, cwd=folder).exit_code == 0
    assert shown(folder / "h.db", "from-config")["active"]["vars"] == {"LEVEL": "3", "MODE": "flag"}  # type: ignore[index]
    bad = run("deploy", str(folder), "--db", db, "--var", "NOEQUALS", cwd=folder)
    assert bad.exit_code == 2 and "write NAME=VALUE" in bad.output
    refused = run("deploy", str(folder), "--db", db, "--var", "9X=1", cwd=folder)
    assert refused.exit_code == 1 and "variable name '9X' is not valid" in refused.output


@pytest.mark.parametrize(
    ("setup", "args", "message"),
    [
        ("empty", [], "nothing to deploy in"),
        ("nameless", [], "wasmhost.toml has no name: give --project ID"),
        ("typo", [], "wasmhost.toml: unknown key 'nmae'"),
        ("assets-file", ["--assets", "w.wasm"], "is a file: give the folder of static files"),
    ],
)
def test_mistakes_are_one_line(tmp_path: Path, setup: str, args: list[str], message: str) -> None:
    (tmp_path / "w.wasm").write_bytes(wat2wasm(wat_guests.guest(wat_guests.HELLO)))
    config = {"nameless": 'worker = "w.wasm"\n', "typo": 'nmae = "x"\n'}.get(setup)
    if config is not None:
        (tmp_path / "wasmhost.toml").write_text(config)
    if setup == "assets-file":
        args = [*args, "--worker", str(tmp_path / "w.wasm"), "--project", "p"]
        args[1] = str(tmp_path / "w.wasm")
    result = run("deploy", str(tmp_path), *args, "--db", str(tmp_path / "h.db"), cwd=tmp_path)
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_json_prints_the_new_version(folder: Path) -> None:
    result = CliRunner().invoke(
        main, ["deploy", str(folder), "--db", str(folder / "h.db"), "--json"],
        env={"WASMHOST_CACHE_DIR": str(folder)},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["version"] == 1


def test_without_a_folder_the_current_ones_config_is_read_even_with_worker(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(folder)
    result = run("deploy", "--worker", "w.wasm", "--db", "h.db", cwd=folder)
    assert result.exit_code == 0, result.output
    assert "using wasmhost.toml" in result.output
    assert [f["path"] for f in shown(folder / "h.db", "from-config")["files"]] == ["/404.html"]  # type: ignore[union-attr]

"""`wasmhost projects|project|versions|rollback|delete` on a real database file (in-process),
with their tables, `--json`, one-line errors and exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from wasmtime import wat2wasm

from host.bundle import Bundle
from host.cli import main
from host.config import Settings
from host.deploy import deploy
from host.services import Services
from tests.runtime import wat_guests


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    """A database where `site` has three versions (its /a.txt says one, two, three)."""
    settings = Settings(db=tmp_path / "h.db", cache_dir=tmp_path / "c")
    services = Services.create(settings)
    worker = bytes(wat2wasm(wat_guests.guest(wat_guests.HELLO)))
    try:
        for text in (b"one", b"two", b"three"):
            deploy(services, "site", Bundle(worker, {"/a.txt": text}, has_assets=True), {})
    finally:
        services.close()
    yield settings.db


def run(*args: str, cache: Path | None = None, stdin: str | None = None) -> Result:
    """`wasmhost ARGS` in-process."""
    env = {"WASMHOST_CACHE_DIR": str(cache)} if cache else {}
    return CliRunner().invoke(main, list(args), env=env, input=stdin)


def test_projects_lists_each_active_version(db: Path) -> None:
    result = run("projects", "--db", str(db))
    assert result.exit_code == 0, result.output
    header, row = result.output.splitlines()
    assert header.split() == ["PROJECT", "VERSION", "FILES", "SIZE", "DEPLOYED"]
    assert row.split()[:4] == ["site", "3", "1", "5"]
    listed = json.loads(run("projects", "--db", str(db), "--json").output)
    assert [(p["project_id"], p["version"]) for p in listed] == [("site", 3)]


def test_project_shows_the_active_version_and_its_files(db: Path) -> None:
    result = run("project", "site", "--db", str(db))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("site: version 3 of 3 kept\n")
    assert "/a.txt" in result.output
    shown = json.loads(run("project", "site", "--db", str(db), "--json").output)
    assert shown["files"][0]["size"] == len("three")


def test_versions_marks_the_active_one_and_rollback_switches(db: Path) -> None:
    listed = run("versions", "site", "--db", str(db))
    assert [line.split()[0] for line in listed.output.splitlines()] == ["VERSION", "1", "2", "3"]
    assert listed.output.splitlines()[3].split()[1] == "*"
    rolled = run("rollback", "site", "1", "--db", str(db))
    assert rolled.exit_code == 0, rolled.output
    assert rolled.output.startswith("site now serves version 1 ")
    versions = json.loads(run("versions", "site", "--db", str(db), "--json").output)
    assert [v["version"] for v in versions if v["active"]] == [1]


def test_delete_asks_unless_told_and_then_removes_everything(db: Path) -> None:
    refused = run("delete", "site", "--db", str(db))
    assert refused.exit_code == 2
    assert "add --yes" in refused.output
    assert run("delete", "site", "--db", str(db), "--yes").output == "deleted site\n"
    assert run("projects", "--db", str(db)).output.startswith("no projects yet")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["project", "nobody"], 3, "Project not found: nobody"),
        (["versions", "nobody"], 3, "Project not found: nobody"),
        (["rollback", "site", "9"], 3, "site has no version 9 (kept: 1, 2, 3)"),
        (["rollback", "nobody", "1"], 3, "Project not found: nobody"),
        (["delete", "nobody", "--yes"], 3, "Project not found: nobody"),
        (["project", "Not_Valid"], 2, "invalid project id 'Not_Valid'"),
    ],
)
def test_failures_are_one_line_with_their_exit_code(
    db: Path, args: list[str], code: int, message: str
) -> None:
    result = run(*args, "--db", str(db))
    assert result.exit_code == code, result.output
    assert result.output.startswith(f"Error: {message}")
    assert len(result.output.splitlines()) == 1
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--url", "127.0.0.1:8095", "--token", "t"], "--url needs a scheme and a host"),
        (["--url", "http://127.0.0.1:9", "--db", "x.db"], "either --db or --url"),
        (["--url", "http://127.0.0.1:9"], "--url needs --token"),
    ],
)
def test_a_bad_target_is_a_usage_error(args: list[str], message: str) -> None:
    result = run("projects", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_an_unreachable_host_exits_4() -> None:
    result = run("projects", "--url", "http://127.0.0.1:9", "--token", "t")
    assert result.exit_code == 4
    assert result.output.startswith("Error: cannot reach http://127.0.0.1:9")


@pytest.mark.parametrize("project_id", ["foo?x", "foo#x", "../foo"])
def test_a_bad_id_is_refused_before_anything_is_sent(project_id: str) -> None:
    result = run("delete", project_id, "--yes", "--url", "http://127.0.0.1:9", "--token", "t")
    assert result.exit_code == 2
    assert "invalid project id" in result.output


def test_a_database_that_is_not_there_is_not_created(tmp_path: Path) -> None:
    result = run("projects", "--db", str(tmp_path / "typo.db"))
    assert result.exit_code == 2
    assert f"no database at {tmp_path / 'typo.db'}" in result.output
    assert not (tmp_path / "typo.db").exists()

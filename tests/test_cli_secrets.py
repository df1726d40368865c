"""`wasmhost secret put|delete|list` on a real database file (in-process): the value from stdin,
names only in every output, one-line errors and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

from host.cli import main
from tests.test_cli_projects import db, run  # noqa: F401  (the `db` fixture)


def test_put_list_delete(db: Path) -> None:  # noqa: F811
    put = run("secret", "put", "site", "API_KEY", "--db", str(db), stdin="very-secret\n")
    assert put.exit_code == 0, put.output
    assert put.output == "set secret API_KEY of site: version 4 is serving\n"
    assert run("secret", "list", "site", "--db", str(db)).output == "API_KEY\n"
    listed = run("secret", "list", "site", "--db", str(db), "--json")
    assert json.loads(listed.output) == ["API_KEY"]
    shown = run("project", "site", "--db", str(db), "--json").output
    assert "very-secret" not in shown and json.loads(shown)["active"]["secrets"] == ["API_KEY"]
    gone = run("secret", "delete", "site", "API_KEY", "--db", str(db), "--json")
    assert (gone.exit_code, json.loads(gone.output)["secrets"]) == (0, [])
    empty = run("secret", "list", "site", "--db", str(db))
    assert (empty.exit_code, empty.output) == (0, "site has no secrets\n")


def test_refusals_are_one_line_with_their_exit_codes(db: Path) -> None:  # noqa: F811
    no_value = run("secret", "put", "site", "KEY", "--db", str(db), stdin="")
    assert (no_value.exit_code, "no value for KEY on stdin" in no_value.output) == (2, True)
    bad_name = run("secret", "put", "site", "not-valid", "--db", str(db), stdin="v")
    assert bad_name.exit_code == 1 and "secret name 'not-valid' is not valid" in bad_name.output
    nowhere = run("secret", "put", "nowhere", "KEY", "--db", str(db), stdin="v")
    assert nowhere.exit_code == 3
    missing = run("secret", "delete", "site", "NONE", "--db", str(db))
    assert missing.exit_code == 1 and "site has no secret 'NONE'" in missing.output
    remote_bad = run(
        "secret", "put", "site", "1X", "--url", "http://127.0.0.1:9", "--token", "t", stdin="v"
    )
    assert remote_bad.exit_code == 2  # checked before anything is sent
    for result in (no_value, bad_name, nowhere, missing, remote_bad):
        assert "Traceback" not in result.output


def test_help_says_the_value_comes_from_stdin() -> None:
    from click.testing import CliRunner

    result = CliRunner().invoke(main, ["secret", "put", "--help"])
    assert result.exit_code == 0 and "read from stdin" in result.output

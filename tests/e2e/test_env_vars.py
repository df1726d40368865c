"""Variables and secrets through the real path: `wasmhost deploy --var`, `wasmhost secret put`
(from stdin, straight into the database and through the API), read by a Python and a
JavaScript guest as `env.NAME` over HTTP, and never printed back."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT, TOKEN, Guest, Host, run_cli


def secret(host: Host, *args: str, value: str, remote: bool = False) -> str:
    """`wasmhost secret ARGS` with `value` on stdin; its output."""
    target = ["--url", f"http://127.0.0.1:{host.port}"] if remote else ["--db", str(host.db)]
    result = subprocess.run(
        [sys.executable, "-m", "host", "secret", *args, *target],
        input=value,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "WASMHOST_TOKEN": TOKEN},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def test_the_guest_reads_vars_and_secrets_as_env(host: Host, misbehave_guest: Guest) -> None:
    project = f"env-{misbehave_guest.language}"
    host.deploy(project, misbehave_guest.worker, None, "--var", "GREETING=héllo", "--var", "N=3")
    assert json.loads(host.get(project, "/env").body) == {"GREETING": "héllo", "N": "3"}
    said = secret(host, "put", project, "API_KEY", value="local-s3cret\n")
    assert "version 2 is serving" in said and "local-s3cret" not in said
    said = secret(host, "put", project, "OTHER", value="remote-s3cret", remote=True)
    assert "version 3 is serving" in said and "remote-s3cret" not in said
    env = json.loads(host.get(project, "/env").body)
    assert env == {
        "API_KEY": "local-s3cret",
        "GREETING": "héllo",
        "N": "3",
        "OTHER": "remote-s3cret",
    }
    listed = secret(host, "list", project, value="")
    assert listed.split() == ["API_KEY", "OTHER"]
    shown = run_cli("project", project, "--db", str(host.db), "--json", cache_dir=host.cache_dir)
    assert "s3cret" not in shown.stdout
    assert json.loads(shown.stdout)["active"]["secrets"] == ["API_KEY", "OTHER"]
    secret(host, "delete", project, "OTHER", value="", remote=True)
    assert "OTHER" not in json.loads(host.get(project, "/env").body)

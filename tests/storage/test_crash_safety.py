"""`kill -9` at random points of deploys and rollbacks, hundreds of times: the database stays
sound and the project keeps exactly one whole version to serve.

Each round of the first test forks a process that deploys new versions and rolls back, over
and over, through the same functions the CLI and the API call (`host.deploy`), and kills it
with SIGKILL after a random moment; the second kills the `wasmhost deploy` command itself.
Then a fresh connection checks `PRAGMA integrity_check`, and that the active version's
record, manifest, worker and every file its manifest names are there, with bytes that match
their ETags.
"""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
import traceback
from pathlib import Path
from subprocess import DEVNULL

import pytest
from wasmtime import wat2wasm

from host.assets.manifest import etag_for
from host.bundle import Bundle
from host.config import Settings
from host.deploy import deploy, rollback
from host.runtime.loader import sha256_hex
from host.services import Services
from host.storage import keys
from host.storage.deployments import active_deployment, list_versions
from host.storage.sqlite_store import SqliteStore
from tests.conftest import ROOT
from tests.runtime import wat_guests

ROUNDS = 300
LONGEST_WAIT_SECONDS = 0.12  # a kill lands anywhere in the first few operations of a round
PROJECT = "crash"
WORKERS = [bytes(wat2wasm(wat_guests.guest("nop " * n + "i32.const 64"))) for n in range(3)]


def bundle(rng: random.Random) -> Bundle:
    """A new version's files: some small, one large enough to take a while to write."""
    files = {f"/page-{n}.html": rng.randbytes(rng.randint(10, 5_000)) for n in range(20)}
    files["/big.bin"] = rng.randbytes(rng.randint(100_000, 2_000_000))
    return Bundle(rng.choice(WORKERS), files, has_assets=True)


def churn(settings: Settings, seed: int, ready: int) -> None:
    """Deploy and roll back forever (in a forked child, until it is killed); one byte to the
    descriptor `ready` once started."""
    rng = random.Random(seed)
    services = Services.create(settings)
    os.write(ready, b".")
    while True:
        kept = [v.version for v in list_versions(services.store, PROJECT)]
        if kept and rng.random() < 0.3:
            rollback(services, PROJECT, rng.choice(kept))
        else:
            deploy(services, PROJECT, bundle(rng), {})


def killed_at_random(settings: Settings, seed: int, wait: float) -> None:
    """Fork a churning child and SIGKILL it `wait` seconds after it started churning (however
    long starting took on a busy machine)."""
    started, ready = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns to pytest
        try:
            os.close(started)
            churn(settings, seed, ready)
        except BaseException:
            traceback.print_exc()
        finally:
            os._exit(1)
    os.close(ready)
    with os.fdopen(started, "rb") as pipe:
        pipe.read(1)  # (nothing if the child failed to start: it is gone then)
    time.sleep(wait)
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    assert os.WIFSIGNALED(status), f"the child ended by itself (status {status})"


def assert_sound_with_one_whole_version(db: str | Path) -> int:
    """Integrity, then the active version whole; returns its number."""
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    store = SqliteStore(Path(db))
    active = active_deployment(store, PROJECT)
    assert active is not None
    record = store.get(keys.version_key(PROJECT, active.version))
    assert record is not None and json.loads(record)["id"] == active.id
    worker = store.get(keys.worker_key(PROJECT, active.worker_sha256))
    assert worker is not None and sha256_hex(worker) == active.worker_sha256
    manifest = store.get(keys.manifest_key(PROJECT, active.version))
    assert manifest is not None
    files = json.loads(manifest)["files"]
    assert len(files) == active.files
    for entry in files.values():
        for etag in [entry["etag"], *(v["etag"] for v in entry.get("variants", {}).values())]:
            data = store.get(keys.file_key(PROJECT, etag))
            assert data is not None and etag_for(data) == etag
    return active.version


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork to kill a deploy midway")
def test_kill_9_at_random_points_of_deploys_and_rollbacks(tmp_path: Path) -> None:
    settings = Settings(db=tmp_path / "crash.db", cache_dir=tmp_path / "cache", keep_versions=4)
    services = Services.create(settings)
    try:
        deploy(services, PROJECT, bundle(random.Random(0)), {})
        for worker in WORKERS:  # compiled once here, so the children spend their time writing
            services.loader.compile(worker)
    finally:
        services.close()
    rng = random.Random(20261201)
    seen = set()
    for round_number in range(ROUNDS):
        killed_at_random(settings, round_number, rng.uniform(0, LONGEST_WAIT_SECONDS))
        seen.add(assert_sound_with_one_whole_version(settings.db))
    assert len(seen) > ROUNDS // 10, "the kills should have left many different versions active"


CLI_ROUNDS = 12


def test_kill_9_of_the_wasmhost_cli_midway_through_deploys(tmp_path: Path) -> None:
    db, cache = tmp_path / "cli.db", tmp_path / "cache"
    worker = tmp_path / "worker.wasm"
    worker.write_bytes(WORKERS[0])
    rng = random.Random(7)
    env = {**os.environ, "WASMHOST_CACHE_DIR": str(cache)}
    for round_number in range(CLI_ROUNDS):
        assets = tmp_path / f"assets-{round_number}"
        assets.mkdir()
        for path, data in bundle(rng).files.items():
            (assets / path.lstrip("/")).write_bytes(data)
        command = [sys.executable, "-m", "host", "deploy", "--project", PROJECT,
                   "--worker", str(worker), "--assets", str(assets), "--db", str(db)]  # fmt: skip
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=DEVNULL, stderr=DEVNULL)
        if round_number == 0:
            assert process.wait(timeout=120) == 0  # one whole version first
            continue
        time.sleep(rng.uniform(0.2, 1.5))  # the CLI starts in about half a second
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert_sound_with_one_whole_version(db)

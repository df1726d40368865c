"""How the bench drives wasmhost: its folder, building guests, `wasmhost deploy`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY_TIMEOUT_SECONDS = 600
BUILD_TIMEOUT_SECONDS = 1800


class CommandFailed(RuntimeError):
    """A guest build or a `wasmhost deploy` failed."""


@dataclass(frozen=True)
class Workspace:
    """The bench's temporary folder: database, compiled cache, logs, built guests, sites."""

    root: Path

    @property
    def db(self) -> Path:
        """The host's database."""
        return self.root / "bench.db"

    @property
    def compiled(self) -> Path:
        """The host's compiled-component cache."""
        return self.root / "compiled"

    @property
    def answers(self) -> Path:
        """The host's recorded answers, which the baseline repeats."""
        return self.root / "answers.json"

    @property
    def logs(self) -> Path:
        """Where server logs go."""
        return self.root / "logs"

    def env(self) -> dict[str, str]:
        """The environment of every wasmhost process of this bench."""
        return {
            **os.environ,
            "WASMHOST_CACHE_DIR": str(self.compiled),
            "PYTHONUNBUFFERED": "1",
        }


def build_guest(source: Path, out: Path) -> Path:
    """Build a guest folder with scripts/build-guest (cached by its inputs)."""
    result = subprocess.run(
        [str(ROOT / "scripts" / "build-guest"), str(source), str(out)],
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_SECONDS,
        check=False,
    )
    if result.returncode != 0:
        raise CommandFailed(f"building {source} failed:\n{result.stdout}{result.stderr}")
    return out


def deploy(space: Workspace, project: str, worker: Path, assets: Path | None) -> float:
    """Run `wasmhost deploy` into the database; how long the whole command took, in ms."""
    argv = [sys.executable, "-m", "host", "deploy", "--project", project]
    argv += ["--worker", str(worker), "--db", str(space.db)]
    if assets is not None:
        argv += ["--assets", str(assets)]
    started = time.perf_counter()
    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env=space.env(),
        cwd=ROOT,
        timeout=DEPLOY_TIMEOUT_SECONDS,
        check=False,
    )
    elapsed_ms = (time.perf_counter() - started) * 1000
    if result.returncode != 0:
        raise CommandFailed(f"deploying {project} failed:\n{result.stdout}{result.stderr}")
    return elapsed_ms

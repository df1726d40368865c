"""What the numbers were measured on: cores, CPU, versions, date, commit, load."""

from __future__ import annotations

import datetime
import importlib.metadata
import os
import platform
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def describe() -> dict[str, str]:
    """The machine header of the table."""
    load = os.getloadavg()[0]
    return {
        "cores": str(os.cpu_count()),
        "CPU": _cpu_model(),
        "Python": platform.python_version(),
        "wasmtime": importlib.metadata.version("wasmtime"),
        "wrk": _wrk_version(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
        "load average at start": f"{load:.2f}",
    }


def _cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or the platform's processor string)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _wrk_version() -> str:
    """wrk's version, from the first line of `wrk -v`."""
    try:
        result = subprocess.run(["wrk", "-v"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    words = (result.stdout + result.stderr).split()
    return words[1] if len(words) > 1 and words[0] == "wrk" else "unknown"


def _commit() -> str:
    """The checked-out commit, with `+changes` when the tree differs from it."""
    try:
        head = _git("rev-parse", "--short", "HEAD")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def _git(*args: str) -> str:
    """What `git ARGS` prints in the repository, stripped."""
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=10, check=True
    ).stdout.strip()

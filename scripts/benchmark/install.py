"""Getting wrk: Debian's package, installed with apt-get when it is missing."""

from __future__ import annotations

import os
import shutil
import subprocess

from .progress import say

APT_TIMEOUT_SECONDS = 600


class InstallError(RuntimeError):
    """wrk is missing and could not be installed."""


def ensure_wrk() -> None:
    """Make sure wrk is on PATH, installing Debian's `wrk` package if it is missing."""
    if shutil.which("wrk"):
        return
    if shutil.which("apt-get") is None:
        raise InstallError("wrk is not installed and there is no apt-get: install wrk yourself")
    prefix = _privilege_prefix()
    say("installing wrk (apt-get update; apt-get install -y wrk)")
    for step in (["apt-get", "update"], ["apt-get", "install", "-y", "wrk"]):
        _run_apt([*prefix, *step])
    if shutil.which("wrk") is None:
        raise InstallError("apt-get installed wrk but it is not on PATH")


def _privilege_prefix() -> list[str]:
    """Nothing as root, `sudo -n` otherwise (never a password prompt)."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo") is None:
        raise InstallError("wrk is not installed and installing it needs root (no sudo found)")
    return ["sudo", "-n"]


def _run_apt(argv: list[str]) -> None:
    """Run one apt-get step, turning any failure into an InstallError with its output."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        result = subprocess.run(
            argv, capture_output=True, text=True, env=env, timeout=APT_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired:
        raise InstallError(f"{' '.join(argv)} took over {APT_TIMEOUT_SECONDS} s") from None
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-2000:]
        raise InstallError(f"{' '.join(argv)} failed ({result.returncode}):\n{output}")

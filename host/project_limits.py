"""Limits a project asks for at deploy time: tighter than the host's, never looser."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from host.config import MIB, Settings
from host.errors import DeployError
from host.runtime.limits import Limits

# What a project may set, named as the host settings that bound them.
NAMES = ("cpu_deadline_ms", "wall_clock_ms", "memory_limit_mb")


def project_limits(asked: Mapping[str, object], settings: Settings) -> dict[str, int]:
    """The limits a deployment asked for, checked against the host's; DeployError if not."""
    unknown = sorted(set(asked) - set(NAMES))
    if unknown:
        raise DeployError(f"unknown limit {unknown[0]!r}: a project may set {', '.join(NAMES)}")
    limits = {}
    for name, raw in asked.items():
        value = _whole_number(name, raw)
        ceiling = getattr(settings, name)
        if not 1 <= value <= ceiling:
            raise DeployError(f"{name} must be between 1 and the host's {ceiling}, not {value}")
        limits[name] = value
    return limits


def sandbox_limits(base: Limits, asked: Mapping[str, int]) -> Limits:
    """The host's sandbox limits, tightened by a deployment's own.

    The host's limits may have been lowered since the deploy: the tighter of the two wins.
    """
    if not asked:
        return base
    changes = {}
    for name in ("cpu_deadline_ms", "wall_clock_ms"):
        if name in asked:
            changes[name] = min(asked[name], getattr(base, name))
    if "memory_limit_mb" in asked:
        changes["memory_bytes"] = min(asked["memory_limit_mb"] * MIB, base.memory_bytes)
    return dataclasses.replace(base, **changes)


def _whole_number(name: str, raw: object) -> int:
    """An int from the API's text or the CLI's number."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        return int(raw.strip())
    raise DeployError(f"{name} must be a whole number of milliseconds or megabytes, not {raw!r}")

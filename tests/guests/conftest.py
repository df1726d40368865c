"""Helpers shared by the guest SDK and build-script tests."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from host import guest_build

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def build_guest() -> ModuleType:
    """The guest build module (what `wasmhost build` runs)."""
    return guest_build


def make_guest(root: Path, files: dict[str, str]) -> Path:
    """Write a guest folder from relative paths to texts."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root

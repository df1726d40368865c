"""Helpers shared by the guest SDK and build-script tests."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def build_guest() -> ModuleType:
    """scripts/build_guest.py imported as a module."""
    spec = importlib.util.spec_from_file_location("build_guest", REPO / "scripts/build_guest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make_guest(root: Path, files: dict[str, str]) -> Path:
    """Write a guest folder from relative paths to texts."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root

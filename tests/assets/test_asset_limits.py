"""Asset limits as the host really configures them (spec: Beyond the model, Limits)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from host.bundle import Bundle, BundleLimits
from host.config import MIB, Settings
from host.deploy import bundle_limits
from host.errors import DeployError

MAX_FILE_BYTES = 25 * 1024 * 1024
MAX_FILES = 20_000
LIMIT_VARIABLES = ("WASMHOST_MAX_FILE_MB", "WASMHOST_MAX_FILES", "WASMHOST_MAX_UPLOAD_MB")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No limit overrides in the environment."""
    for name in LIMIT_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize("settings", [Settings, Settings.load], ids=["defaults", "load"])
def test_default_limits(settings: Callable[[], Settings]) -> None:
    limits = bundle_limits(settings())
    assert limits.max_file_bytes == MAX_FILE_BYTES
    assert limits.max_files == MAX_FILES
    assert limits.max_total_bytes == 512 * MIB
    assert (limits.max_file_bytes, limits.max_files) == (
        BundleLimits().max_file_bytes,
        BundleLimits().max_files,
    )


def _add(bundle: Bundle, name: str, size: int, limits: BundleLimits) -> None:
    """Add a file said to be `size` bytes without building that many bytes."""
    bundle.add_file(name, size, lambda: b"", limits)


SIZES = [(MAX_FILE_BYTES - 1, True), (MAX_FILE_BYTES, True), (MAX_FILE_BYTES + 1, False)]


@pytest.mark.usefixtures("clean_env")
@pytest.mark.parametrize(("size", "accepted"), SIZES)
def test_file_size_limit_is_25_mib_exactly(size: int, accepted: bool) -> None:
    limits = bundle_limits(Settings.load())
    if accepted:
        _add(Bundle(b""), "big.txt", size, limits)
        return
    with pytest.raises(DeployError, match=f"the limit is {MAX_FILE_BYTES} .max_file_mb"):
        _add(Bundle(b""), "big.txt", size, limits)


@pytest.mark.usefixtures("clean_env")
def test_file_count_limit_is_20000_exactly() -> None:
    limits = bundle_limits(Settings.load())
    bundle = Bundle(b"")
    for index in range(MAX_FILES):
        _add(bundle, f"f{index}.txt", 1, limits)
    assert len(bundle.files) == MAX_FILES
    with pytest.raises(DeployError, match=f"at most {MAX_FILES} per deployment .max_files"):
        _add(bundle, "one-more.txt", 1, limits)


def test_environment_overrides_reach_the_limits(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("WASMHOST_MAX_FILE_MB", "2")
    clean_env.setenv("WASMHOST_MAX_FILES", "7")
    limits = bundle_limits(Settings.load())
    assert (limits.max_file_bytes, limits.max_files) == (2 * MIB, 7)

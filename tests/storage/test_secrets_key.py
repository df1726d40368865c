"""Which secrets key a database is used with: recorded once, another refused, never made anew
for a database that records one."""

from pathlib import Path

import pytest

from host.errors import WasmhostError
from host.secret_box import SecretBox, load_key
from host.storage.deployments import NewVersion, write_version
from host.storage.secrets import KEY_ID, open_secrets_key
from host.storage.store import Store


def test_the_first_key_is_recorded_and_another_refused(store: Store, tmp_path: Path) -> None:
    first = open_secrets_key(store, tmp_path / "first")
    assert open_secrets_key(store, tmp_path / "first") == first
    load_key(tmp_path / "second")  # another key, in a file of its own
    with pytest.raises(WasmhostError, match="second is not the one"):
        open_secrets_key(store, tmp_path / "second")


def test_no_key_is_made_for_a_database_that_records_one(store: Store, tmp_path: Path) -> None:
    open_secrets_key(store, tmp_path / "first")
    with pytest.raises(WasmhostError, match=r"no secrets key at .*missing"):
        open_secrets_key(store, tmp_path / "missing")
    assert not (tmp_path / "missing").exists()


def test_secrets_sealed_before_keys_were_recorded_decide_which_key_is_recorded(
    store: Store, tmp_path: Path
) -> None:
    sealed = SecretBox(load_key(tmp_path / "old")).seal("p", "TOKEN", "value")
    write_version(store, "p", NewVersion(b"w", "sha", secrets={"TOKEN": sealed}), keep=3)
    open_secrets_key(store, tmp_path / "new")  # does not open them: warned, not recorded
    assert store.get(KEY_ID) is None
    open_secrets_key(store, tmp_path / "old")
    with pytest.raises(WasmhostError, match="new is not the one"):
        open_secrets_key(store, tmp_path / "new")

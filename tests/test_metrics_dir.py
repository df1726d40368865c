"""The workers' shared folder of `wasmhost serve`: a given one starts empty of stale files."""

from pathlib import Path

from host.metrics_dir import clear_metrics_dir


def test_a_given_metrics_folder_is_emptied_of_an_earlier_run(tmp_path: Path) -> None:
    for name in ("counter_1.db", "recent-1.json", "keep.txt"):
        (tmp_path / name).write_text("x")
    clear_metrics_dir(str(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]

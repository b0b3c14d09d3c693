"""Where raw files are looked for and where caches go."""

from __future__ import annotations

from pathlib import Path

from chop.dataset.paths import data_root, dataset_home, find_file, processed_home, search_dirs


def test_data_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MACHOP_DATA_DIR", str(tmp_path))
    assert data_root() == tmp_path
    assert dataset_home("jsc") == tmp_path / "jsc"
    assert processed_home("jsc") == tmp_path / "jsc" / "processed"


def test_default_data_root_is_the_user_cache(monkeypatch):
    monkeypatch.delenv("MACHOP_DATA_DIR")
    assert data_root() == Path.home() / ".cache" / "machop"


def test_search_order_explicit_then_root_then_system(monkeypatch, tmp_path):
    monkeypatch.setenv("MACHOP_DATA_DIR", str(tmp_path / "root"))
    dirs = search_dirs("mnist", tmp_path / "mine", extra=["/usr/share/datasets/mnist"])
    assert dirs == [
        tmp_path / "mine",
        tmp_path / "mine" / "mnist",
        tmp_path / "root" / "mnist",
        Path("/usr/share/datasets/mnist"),
    ]
    assert search_dirs("mnist", None) == [tmp_path / "root" / "mnist"]


def test_find_file_prefers_earlier_folders_then_earlier_names(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "x.csv").write_text("")
    (tmp_path / "b" / "x.z").write_text("")
    (tmp_path / "a" / "x.csv").write_text("")
    assert find_file([tmp_path / "a", tmp_path / "b"], ["x.z", "x.csv"]) == tmp_path / "a" / "x.csv"
    assert find_file([tmp_path / "b"], ["x.z", "x.csv"]) == tmp_path / "b" / "x.z"
    assert find_file([tmp_path / "c"], ["x.z"]) is None

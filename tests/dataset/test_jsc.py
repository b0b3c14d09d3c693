"""The `jsc` loader: dedup, splits, scaling on train only, caching, downloads and errors."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import (
    JSC_FIXTURE_DUPLICATES,
    JSC_FIXTURE_ROWS,
    JSC_H5_FILE,
    jsc_fixture_arrays,
    jsc_fixture_records,
    jsc_openml_frame,
    write_jsc_arff,
    write_jsc_csv,
    write_jsc_h5,
)
from safetensors.torch import load_file
from scipy.spatial import cKDTree

import chop.dataset.jsc as jsc_module
from chop.dataset import download, get_dataset, get_dataset_info
from chop.dataset.paths import processed_home
from chop.dataset.splits import split_sizes
from chop.errors import ConfigError, DataError


def count_calls(monkeypatch, module, name):
    """Wrap `module.name` so that calls are counted; returns the list of calls."""
    calls = []
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(module, name, wrapper)
    return calls


def cached_scaler() -> tuple[np.ndarray, np.ndarray]:
    (entry,) = processed_home("jsc").glob("*.safetensors")
    tensors = load_file(str(entry))
    return tensors["scaler_mean"].numpy(), tensors["scaler_scale"].numpy()


def test_static_info_needs_no_file():
    info = get_dataset_info("jsc")
    assert info.input_shape == (16,) and info.num_classes == 5
    assert info.class_names == ("g", "q", "w", "z", "t")


def test_loads_the_z_file_with_dedup_and_split_sizes(jsc_data_dir):
    ds = get_dataset("jsc")
    expected = split_sizes(JSC_FIXTURE_ROWS, 0.2, 0.1)  # duplicates dropped first
    assert {s: len(ds.split(s)) for s in ("train", "val", "test")} == expected
    assert ds.info.split_sizes == expected
    assert ds.info.class_names == ("g", "q", "w", "z", "t")
    for s in ("train", "val", "test"):
        split = ds.split(s)
        assert split.x.dtype == torch.float32 and split.x.shape[1:] == (16,)
        assert split.y.dtype == torch.int64 and set(split.y.unique().tolist()) == {0, 1, 2, 3, 4}


def test_splits_are_disjoint_deduplicated_and_scaled_on_train_only(jsc_data_dir):
    ds = get_dataset("jsc")
    mean, scale = cached_scaler()
    raw_x, raw_y = jsc_fixture_arrays(jsc_fixture_records())
    unique_raw, first = np.unique(raw_x, axis=0, return_index=True)
    assert len(unique_raw) == JSC_FIXTURE_ROWS  # the fixture's duplicates are exact copies
    unique_raw = unique_raw.astype(np.float64)  # float32 would blur rows with large offsets
    spread = unique_raw.std(axis=0)
    tree = cKDTree(unique_raw / spread)

    matched = {}
    for s in ("train", "val", "test"):
        raw = ds.split(s).x.numpy().astype(np.float64) * scale + mean
        dist, idx = tree.query(raw / spread)
        assert dist.max() < 1e-4, f"{s} holds a row that is not in the file"
        np.testing.assert_array_equal(ds.split(s).y.numpy(), raw_y[first[idx]])
        matched[s] = set(idx.tolist())
        assert len(matched[s]) == len(idx), f"{s} holds a duplicate row"
        if s == "train":
            np.testing.assert_allclose(mean, raw.mean(axis=0), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(scale, raw.std(axis=0), rtol=1e-4)
    assert not matched["train"] & matched["val"]
    assert not matched["train"] & matched["test"]
    assert not matched["val"] & matched["test"]
    assert len(matched["train"] | matched["val"] | matched["test"]) == JSC_FIXTURE_ROWS

    train_x = ds.train.x.numpy().astype(np.float64)
    np.testing.assert_allclose(train_x.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(train_x.std(axis=0), 1.0, atol=1e-4)
    held_out = np.concatenate([ds.val.x.numpy(), ds.test.x.numpy()]).astype(np.float64)
    assert np.abs(held_out.mean(axis=0)).max() > 1e-3  # not fitted on the held-out rows
    assert np.abs(held_out.mean(axis=0)).max() < 0.3  # but drawn from the same distribution


def test_splits_are_stratified(jsc_data_dir):
    ds = get_dataset("jsc")
    for s in ("train", "val", "test"):
        shares = np.bincount(ds.split(s).y.numpy(), minlength=5) / len(ds.split(s))
        np.testing.assert_allclose(shares, 0.2, atol=0.01)


def test_second_load_reads_the_cache(jsc_data_dir, monkeypatch):
    preprocess = count_calls(monkeypatch, jsc_module, "preprocess_jsc")
    reads = count_calls(monkeypatch, jsc_module, "read_jsc_file")
    first = get_dataset("jsc")
    (entry,) = processed_home("jsc").glob("*.safetensors")
    stamp = entry.stat().st_mtime_ns
    second = get_dataset("jsc")
    assert len(preprocess) == 1 and len(reads) == 1
    assert entry.stat().st_mtime_ns == stamp
    for s in ("train", "val", "test"):
        assert torch.equal(first.split(s).x, second.split(s).x)
        assert torch.equal(first.split(s).y, second.split(s).y)


def test_cache_is_rebuilt_when_the_file_changes(jsc_data_dir, monkeypatch):
    preprocess = count_calls(monkeypatch, jsc_module, "preprocess_jsc")
    before = get_dataset("jsc")
    write_jsc_h5(jsc_data_dir / "jsc" / JSC_H5_FILE, seed=1)
    after = get_dataset("jsc")
    assert len(preprocess) == 2
    assert len(list(processed_home("jsc").glob("*.safetensors"))) == 2
    assert not torch.equal(before.train.x, after.train.x)


def test_cache_is_keyed_by_the_split_seed(jsc_data_dir, monkeypatch):
    preprocess = count_calls(monkeypatch, jsc_module, "preprocess_jsc")
    a = get_dataset("jsc", split_seed=42)
    b = get_dataset("jsc", split_seed=7)
    a_again = get_dataset("jsc", split_seed=42)
    assert len(preprocess) == 2
    assert not torch.equal(a.test.x, b.test.x)
    assert torch.equal(a.test.x, a_again.test.x)


def test_the_processed_cache_lives_under_the_data_root(jsc_data_dir):
    get_dataset("jsc")
    files = sorted(p.name for p in processed_home("jsc").iterdir())
    assert len(files) == 2 and files[0].endswith(".json") and files[1].endswith(".safetensors")
    assert processed_home("jsc").is_relative_to(jsc_data_dir)
    import chop

    package_dir = Path(chop.__file__).parent
    assert not any(p.suffix == ".safetensors" for p in package_dir.rglob("*"))


@pytest.mark.parametrize("writer, name", [(write_jsc_arff, "hls4ml_lhc_jets_hlf.arff"), (write_jsc_csv, "hls4ml_lhc_jets_hlf.csv")])
def test_openml_forms_give_the_same_dataset_as_the_z_file(tmp_path, jsc_data_dir, writer, name):
    from_z = get_dataset("jsc")
    folder = tmp_path / "openml"
    writer(folder / name)
    from_openml = get_dataset("jsc", data_dir=folder)
    for s in ("train", "val", "test"):
        np.testing.assert_array_equal(from_z.split(s).y.numpy(), from_openml.split(s).y.numpy())
        np.testing.assert_allclose(from_z.split(s).x.numpy(), from_openml.split(s).x.numpy(), atol=1e-5)


def test_data_dir_may_name_the_file_itself(tmp_path):
    path = write_jsc_csv(tmp_path / "my-download.csv", n_rows=500, n_duplicates=0)
    ds = get_dataset("jsc", data_dir=path)
    assert sum(len(ds.split(s)) for s in ("train", "val", "test")) == 500


def test_data_dir_subfolder_named_jsc_is_searched(tmp_path):
    write_jsc_arff(tmp_path / "data" / "jsc" / "hls4ml_lhc_jets_hlf.arff", n_rows=500, n_duplicates=10)
    ds = get_dataset("jsc", data_dir=tmp_path / "data")
    assert sum(len(ds.split(s)) for s in ("train", "val", "test")) == 500


def test_missing_file_says_which_file_and_where_in_one_line():
    with pytest.raises(DataError) as err:
        get_dataset("jsc")
    message = str(err.value)
    root = os.environ["MACHOP_DATA_DIR"]
    assert "\n" not in message
    assert f"'{JSC_H5_FILE}'" in message
    assert f"'{root}/jsc/'" in message
    assert "hls4ml_lhc_jets_hlf" in message and "network disabled in tests" in message


def test_missing_file_with_downloads_off_names_the_explicit_folder(tmp_path):
    with pytest.raises(DataError, match=r"downloads are switched off") as err:
        get_dataset("jsc", data_dir=tmp_path / "mine", download=False)
    assert f"'{tmp_path / 'mine'}/'" in str(err.value)


def test_openml_download_is_saved_as_csv_and_used_next_time(monkeypatch):
    frame = jsc_openml_frame(jsc_fixture_records(600, seed=5, n_duplicates=12))
    fetches = []

    def fake_fetch(data_id, data_home, **_):
        fetches.append((data_id, Path(data_home)))
        assert Path(data_home).is_dir()
        return frame

    monkeypatch.setattr(download, "fetch_openml_frame", fake_fetch)
    ds = get_dataset("jsc")
    again = get_dataset("jsc")
    root = Path(os.environ["MACHOP_DATA_DIR"])
    assert [f[0] for f in fetches] == [42468]
    assert not fetches[0][1].exists()  # scikit-learn's download folder is cleaned up
    assert (root / "jsc" / "hls4ml_lhc_jets_hlf.csv").is_file()
    assert sum(len(ds.split(s)) for s in ("train", "val", "test")) == 600
    assert torch.equal(ds.train.x, again.train.x)


def test_corrupt_file_is_named_in_the_error(tmp_path):
    path = tmp_path / "jsc" / JSC_H5_FILE
    path.parent.mkdir()
    path.write_bytes(b"\x00" * 100)
    with pytest.raises(DataError, match="not a readable HDF5 file") as err:
        get_dataset("jsc", data_dir=tmp_path)
    assert str(path) in str(err.value)


def test_unknown_option_is_a_config_error(jsc_data_dir):
    with pytest.raises(ConfigError, match="Did you mean 'val_size'"):
        get_dataset("jsc", val_sise=0.2)


def test_a_small_model_learns_the_fixture(jsc_data_dir):
    """The fixture is learnable, so a training run on it can show learning (chance is 20%)."""
    from sklearn.linear_model import LogisticRegression

    ds = get_dataset("jsc")
    model = LogisticRegression(max_iter=300).fit(ds.train.x.numpy(), ds.train.y.numpy())
    assert model.score(ds.val.x.numpy(), ds.val.y.numpy()) > 0.6


def test_fixture_has_the_documented_duplicates():
    records = jsc_fixture_records()
    assert len(records) == JSC_FIXTURE_ROWS + JSC_FIXTURE_DUPLICATES
    assert len(np.unique(records)) == JSC_FIXTURE_ROWS

"""Reading each published JSC form (HDF5 `.z`, OpenML ARFF and CSV) and rejecting bad files."""

from __future__ import annotations

import h5py
import numpy as np
import pytest
from conftest import (
    JSC_H5_FIELDS,
    jsc_fixture_arrays,
    jsc_fixture_records,
    jsc_openml_frame,
    write_jsc_arff,
    write_jsc_csv,
    write_jsc_h5,
)

from chop.dataset.jsc_files import read_jsc_file
from chop.errors import DataError

ROWS, DUPS = 400, 20


@pytest.fixture(scope="module")
def expected():
    return jsc_fixture_arrays(jsc_fixture_records(ROWS, seed=3, n_duplicates=DUPS))


@pytest.mark.parametrize(
    "writer, name",
    [
        (write_jsc_h5, "processed-pythia82-lhc13-all-pt1-50k-r1_h022_e0175_t220_nonu_truth.z"),
        (write_jsc_arff, "hls4ml_lhc_jets_hlf.arff"),
        (write_jsc_csv, "hls4ml_lhc_jets_hlf.csv"),
    ],
)
def test_every_form_reads_the_same_rows(tmp_path, expected, writer, name):
    path = writer(tmp_path / name, n_rows=ROWS, seed=3, n_duplicates=DUPS)
    x, y = read_jsc_file(path)
    assert x.dtype == np.float32 and x.shape == (ROWS + DUPS, 16)
    assert y.dtype == np.int64 and set(np.unique(y)) == {0, 1, 2, 3, 4}
    np.testing.assert_array_equal(y, expected[1])
    np.testing.assert_allclose(x, expected[0], rtol=1e-6)


def test_feature_columns_with_j_prefix_and_one_hot_labels_in_csv(tmp_path, expected):
    """A CSV keeping the HDF5 names (j_ prefix, one-hot labels) reads the same rows."""
    import pandas as pd

    records = jsc_fixture_records(ROWS, seed=3, n_duplicates=DUPS)
    path = tmp_path / "hls4ml_lhc_jets_hlf.csv"
    pd.DataFrame({name: records[name] for name in JSC_H5_FIELDS}).to_csv(path, index=False)
    x, y = read_jsc_file(path)
    np.testing.assert_array_equal(y, expected[1])
    np.testing.assert_allclose(x, expected[0], rtol=1e-6)


def test_integer_one_hot_labels_and_rows_without_a_class_are_dropped(tmp_path, expected):
    """Some published copies store labels as int32; rows with no single class set are dropped."""
    records = jsc_fixture_records(ROWS, seed=3, n_duplicates=DUPS)
    dtype = [(n, "<i4" if n in ("j_g", "j_q", "j_w", "j_z", "j_t", "j_undef") else "<f4") for n in JSC_H5_FIELDS]
    table = records.astype(dtype)
    for c in ("j_g", "j_q", "j_w", "j_z", "j_t"):
        table[c][:5] = 0
    table["j_undef"][:5] = 1
    path = tmp_path / "jets.z"
    with h5py.File(path, "w") as f:
        f.create_dataset("t_allpar_new", data=table)
    x, y = read_jsc_file(path)
    assert len(y) == ROWS + DUPS - 5
    np.testing.assert_array_equal(y, expected[1][5:])
    np.testing.assert_allclose(x, expected[0][5:], rtol=1e-6)


def test_missing_feature_columns_are_named(tmp_path):
    frame = jsc_openml_frame(jsc_fixture_records(50, seed=0, n_duplicates=0))
    path = tmp_path / "hls4ml_lhc_jets_hlf.csv"
    frame.drop(columns=["zlogz", "mass_mmdt"]).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"lacks column\(s\) j_zlogz, j_mass_mmdt") as err:
        read_jsc_file(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_missing_labels_are_named(tmp_path):
    frame = jsc_openml_frame(jsc_fixture_records(50, seed=0, n_duplicates=0))
    path = tmp_path / "hls4ml_lhc_jets_hlf.csv"
    frame.drop(columns=["class"]).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"lacks column\(s\) class \(or j_g, j_q, j_w, j_z, j_t\)"):
        read_jsc_file(path)


def test_unknown_class_letters_are_reported(tmp_path):
    frame = jsc_openml_frame(jsc_fixture_records(50, seed=0, n_duplicates=0))
    frame["class"] = frame["class"].astype(str)
    frame.loc[3, "class"] = "h"
    path = tmp_path / "hls4ml_lhc_jets_hlf.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(DataError, match=r"unknown class label\(s\) 'h'"):
        read_jsc_file(path)


def test_not_an_hdf5_file(tmp_path):
    path = tmp_path / "processed-pythia82-lhc13-all-pt1-50k-r1_h022_e0175_t220_nonu_truth.z"
    path.write_bytes(b"this is not HDF5" * 10)
    with pytest.raises(DataError, match="is not a readable HDF5 file") as err:
        read_jsc_file(path)
    assert str(path) in str(err.value)


def test_hdf5_without_the_table_lists_what_it_has(tmp_path):
    path = tmp_path / "jets.z"
    with h5py.File(path, "w") as f:
        f.create_dataset("t_allpar", data=np.zeros(3))
    with pytest.raises(DataError, match=r"no table 't_allpar_new' \(found: t_allpar\)"):
        read_jsc_file(path)


def test_hdf5_table_without_named_fields(tmp_path):
    path = tmp_path / "jets.z"
    with h5py.File(path, "w") as f:
        f.create_dataset("t_allpar_new", data=np.zeros((3, 21), dtype=np.float32))
    with pytest.raises(DataError, match="not a table of named fields"):
        read_jsc_file(path)


def test_broken_arff(tmp_path):
    path = tmp_path / "hls4ml_lhc_jets_hlf.arff"
    path.write_text("@RELATION x\n@ATTRIBUTE a WEIRDTYPE\n@DATA\n1\n")
    with pytest.raises(DataError, match="is not a valid ARFF file"):
        read_jsc_file(path)


def test_unknown_file_type(tmp_path):
    path = tmp_path / "jets.parquet"
    path.write_bytes(b"x")
    with pytest.raises(DataError, match="unknown type"):
        read_jsc_file(path)

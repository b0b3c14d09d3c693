"""Shared test fixtures.

Dataset part: every test gets its own empty `$MACHOP_DATA_DIR` and no dataset download can reach
the network. `write_jsc_h5` / `write_jsc_arff` / `write_jsc_csv` write small JSC files with the
exact published schemas (importable: `from conftest import write_jsc_h5`), and the `jsc_data_dir`
fixture lays such a file out where `get_dataset("jsc")` finds it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

# ---------------------------------------------------------------------------------------------
# JSC fixture files with the real schemas
# ---------------------------------------------------------------------------------------------

JSC_H5_FILE = "processed-pythia82-lhc13-all-pt1-50k-r1_h022_e0175_t220_nonu_truth.z"
JSC_H5_TABLE = "t_allpar_new"
JSC_OPENML_NAME = "hls4ml_lhc_jets_hlf"
JSC_FEATURES = (
    "j_zlogz", "j_c1_b0_mmdt", "j_c1_b1_mmdt", "j_c1_b2_mmdt", "j_c2_b1_mmdt", "j_c2_b2_mmdt",
    "j_d2_b1_mmdt", "j_d2_b2_mmdt", "j_d2_a1_b1_mmdt", "j_d2_a1_b2_mmdt", "j_m2_b1_mmdt",
    "j_m2_b2_mmdt", "j_n2_b1_mmdt", "j_n2_b2_mmdt", "j_mass_mmdt", "j_multiplicity",
)  # fmt: skip
JSC_LABELS = ("j_g", "j_q", "j_w", "j_z", "j_t")
# Every field of the published table, in its order; all float32.
JSC_H5_FIELDS = (
    "j_ptfrac", "j_pt", "j_eta", "j_mass", "j_tau1_b1", "j_tau2_b1", "j_tau3_b1", "j_tau1_b2",
    "j_tau2_b2", "j_tau3_b2", "j_tau32_b1", "j_tau32_b2", "j_zlogz", "j_c1_b0", "j_c1_b1",
    "j_c1_b2", "j_c2_b1", "j_c2_b2", "j_d2_b1", "j_d2_b2", "j_d2_a1_b1", "j_d2_a1_b2", "j_m2_b1",
    "j_m2_b2", "j_n2_b1", "j_n2_b2", "j_tau1_b1_mmdt", "j_tau2_b1_mmdt", "j_tau3_b1_mmdt",
    "j_tau1_b2_mmdt", "j_tau2_b2_mmdt", "j_tau3_b2_mmdt", "j_tau32_b1_mmdt", "j_tau32_b2_mmdt",
    "j_c1_b0_mmdt", "j_c1_b1_mmdt", "j_c1_b2_mmdt", "j_c2_b1_mmdt", "j_c2_b2_mmdt",
    "j_d2_b1_mmdt", "j_d2_b2_mmdt", "j_d2_a1_b1_mmdt", "j_d2_a1_b2_mmdt", "j_m2_b1_mmdt",
    "j_m2_b2_mmdt", "j_n2_b1_mmdt", "j_n2_b2_mmdt", "j_mass_trim", "j_mass_mmdt", "j_mass_prun",
    "j_mass_sdb2", "j_mass_sdm1", "j_multiplicity", "j_g", "j_q", "j_w", "j_z", "j_t", "j_undef",
    "j_index",
)  # fmt: skip
JSC_CLASS_LETTERS = ("g", "q", "w", "z", "t")
JSC_FIXTURE_ROWS = 3000
JSC_FIXTURE_DUPLICATES = 150


def jsc_fixture_records(
    n_rows: int = JSC_FIXTURE_ROWS, seed: int = 0, n_duplicates: int = JSC_FIXTURE_DUPLICATES
) -> np.ndarray:
    """A structured float32 array with every field of `t_allpar_new`, learnable by class.

    `n_rows` distinct jets (balanced classes, each feature a class-dependent mean plus noise, on
    its own offset and scale like the real physics quantities), followed by `n_duplicates`
    exact copies of earlier rows, so deduplication leaves exactly `n_rows`.
    """
    rng = np.random.default_rng(seed)
    n_feat, n_cls = len(JSC_FEATURES), len(JSC_LABELS)
    centres = rng.normal(0.0, 0.7, size=(n_cls, n_feat))
    offsets = rng.uniform(-1.0, 100.0, size=n_feat)
    scales = 10.0 ** rng.uniform(-2.0, 1.5, size=n_feat)
    y = np.arange(n_rows) % n_cls
    rng.shuffle(y)
    x = offsets + scales * (centres[y] + rng.normal(size=(n_rows, n_feat)))
    x[:, JSC_FEATURES.index("j_multiplicity")] = np.round(20 + 5 * (centres[y, -1] + rng.normal(size=n_rows)))
    records = np.zeros(n_rows, dtype=[(name, "<f4") for name in JSC_H5_FIELDS])
    for name in JSC_H5_FIELDS:  # fields the loader must ignore
        records[name] = rng.normal(size=n_rows)
    for j, name in enumerate(JSC_FEATURES):
        records[name] = x[:, j]
    for c, name in enumerate(JSC_LABELS):
        records[name] = (y == c).astype(np.float32)
    records["j_undef"] = 0.0
    records["j_index"] = np.arange(n_rows)
    if n_duplicates:
        records = np.concatenate([records, records[rng.integers(0, n_rows, size=n_duplicates)]])
    return records


def jsc_fixture_arrays(records: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The loader's expected raw output for `records`: features (N, 16) float32, labels int64."""
    x = np.stack([records[f] for f in JSC_FEATURES], axis=1).astype(np.float32)
    y = np.argmax(np.stack([records[c] for c in JSC_LABELS], axis=1), axis=1).astype(np.int64)
    return x, y


def jsc_openml_frame(records: np.ndarray):
    """`records` as OpenML 42468 has them: features without `j_`, then a `class` column."""
    import pandas as pd

    x, y = jsc_fixture_arrays(records)
    frame = pd.DataFrame({f[2:]: x[:, i] for i, f in enumerate(JSC_FEATURES)})
    frame["class"] = pd.Categorical(np.array(JSC_CLASS_LETTERS)[y], categories=sorted(JSC_CLASS_LETTERS))
    return frame


def write_jsc_h5(path: str | Path, n_rows: int = JSC_FIXTURE_ROWS, seed: int = 0,
                 n_duplicates: int = JSC_FIXTURE_DUPLICATES) -> Path:
    """Write the HDF5 `.z` form: compound float32 table `t_allpar_new` (gzip-compressed)."""
    import h5py

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.create_dataset(JSC_H5_TABLE, data=jsc_fixture_records(n_rows, seed, n_duplicates), compression="gzip")
    return path


def write_jsc_arff(path: str | Path, n_rows: int = JSC_FIXTURE_ROWS, seed: int = 0,
                   n_duplicates: int = JSC_FIXTURE_DUPLICATES) -> Path:
    """Write the OpenML ARFF form: 16 REAL attributes without `j_`, nominal `class`."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame = jsc_openml_frame(jsc_fixture_records(n_rows, seed, n_duplicates))
    lines = [f"@RELATION {JSC_OPENML_NAME}", ""]
    lines += [f"@ATTRIBUTE {c} REAL" for c in frame.columns[:-1]]
    lines += ["@ATTRIBUTE class {" + ",".join(sorted(JSC_CLASS_LETTERS)) + "}", "", "@DATA"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
        frame.to_csv(f, header=False, index=False)
    return path


def write_jsc_csv(path: str | Path, n_rows: int = JSC_FIXTURE_ROWS, seed: int = 0,
                  n_duplicates: int = JSC_FIXTURE_DUPLICATES) -> Path:
    """Write the OpenML CSV form: a header of names without `j_`, then rows with `class` letters."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    jsc_openml_frame(jsc_fixture_records(n_rows, seed, n_duplicates)).to_csv(path, index=False)
    return path


# ---------------------------------------------------------------------------------------------
# Dataset fixtures
# ---------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _isolated_machop_data_dir(tmp_path_factory, monkeypatch):
    """Each test gets an empty `$MACHOP_DATA_DIR`: tests never read or fill the user's cache."""
    monkeypatch.setenv("MACHOP_DATA_DIR", str(tmp_path_factory.mktemp("machop-data")))


@pytest.fixture(autouse=True)
def _no_dataset_downloads(monkeypatch):
    """Dataset downloads fail at once, as on a machine without a network."""
    from chop.dataset import download

    def offline(*_args, **_kwargs):
        raise download.DownloadError("network disabled in tests")

    monkeypatch.setattr(download, "download_file", offline)
    monkeypatch.setattr(download, "fetch_openml_frame", offline)
    monkeypatch.setattr(download, "probe", offline)
    monkeypatch.setattr(download, "fetch_hub_dataset", offline)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # nor a Hugging Face model download (bert-tiny's)


@pytest.fixture
def jsc_data_dir(tmp_path, monkeypatch) -> Path:
    """A `$MACHOP_DATA_DIR` holding the JSC `.z` fixture at `jsc/<file>`; returns that root.

    `get_dataset("jsc")` and `ch train ... jsc` find the file there with no further argument,
    and write their processed cache under the same temporary root.
    """
    root = tmp_path / "machop-data"
    write_jsc_h5(root / "jsc" / JSC_H5_FILE)
    monkeypatch.setenv("MACHOP_DATA_DIR", str(root))
    return root


# ---------------------------------------------------------------------------------------------
# Text examples on a small slice
# ---------------------------------------------------------------------------------------------

def small_text_slice(config: Path, tmp_path: Path, rows: int = 240, tokens: int = 16,
                     n_trials: int = 2) -> Path:
    """`config` itself, or for an example on a text dataset a copy that runs in seconds: `rows`
    stratified rows of `tokens` tokens and at most `n_trials` search trials (the README runs the
    full set)."""
    import tomllib

    import tomli_w

    from chop.dataset import DATASETS

    table = tomllib.loads(config.read_text())
    dataset = table.get("dataset")
    if dataset not in DATASETS or not DATASETS.get(dataset).info.input_names:
        return config
    table["max_token_len"] = tokens
    table.setdefault("dataset_options", {})["max_rows"] = rows
    strategy = table.get("search", {}).get("strategy")
    if strategy is not None:
        strategy["n_trials"] = min(strategy.get("n_trials", n_trials), n_trials)
        strategy.pop("eval_samples", None)
    sliced = tmp_path / f"{config.stem}.slice.toml"
    sliced.write_bytes(tomli_w.dumps(table).encode())
    return sliced

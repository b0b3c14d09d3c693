"""Reading the JSC (hls4ml jet substructure) data from any of its published files.

Two forms exist: the HDF5 file `processed-pythia82-lhc13-all-pt1-50k-r1_h022_e0175_t220_nonu_truth.z`
(table `t_allpar_new`, a compound array of many per-jet fields, labels one-hot in `j_g` .. `j_t`)
and OpenML dataset 42468 `hls4ml_lhc_jets_hlf` (the 16 features without the `j_` prefix and a
nominal column `class` of g/q/w/z/t), as ARFF or CSV. Every reader returns the same thing: the
16 features as float32 (N, 16) in the order of `JSC_FEATURES` and int64 labels in the order of
`JSC_CLASSES`.
"""

from __future__ import annotations

import gzip
import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from chop.errors import DataError

logger = logging.getLogger(__name__)

JSC_H5_FILE = "processed-pythia82-lhc13-all-pt1-50k-r1_h022_e0175_t220_nonu_truth.z"
JSC_H5_TABLE = "t_allpar_new"
JSC_OPENML_ID = 42468
JSC_OPENML_NAME = "hls4ml_lhc_jets_hlf"
JSC_FEATURES = (
    "j_zlogz", "j_c1_b0_mmdt", "j_c1_b1_mmdt", "j_c1_b2_mmdt", "j_c2_b1_mmdt", "j_c2_b2_mmdt",
    "j_d2_b1_mmdt", "j_d2_b2_mmdt", "j_d2_a1_b1_mmdt", "j_d2_a1_b2_mmdt", "j_m2_b1_mmdt",
    "j_m2_b2_mmdt", "j_n2_b1_mmdt", "j_n2_b2_mmdt", "j_mass_mmdt", "j_multiplicity",
)  # fmt: skip
JSC_CLASSES = ("g", "q", "w", "z", "t")
JSC_ONE_HOT = tuple(f"j_{c}" for c in JSC_CLASSES)
LABEL_COLUMN = "class"

H5_SUFFIXES = (".z", ".h5", ".hdf5")
ARFF_SUFFIXES = (".arff", ".arff.gz")
CSV_SUFFIXES = (".csv", ".csv.gz")


def canonical(name: str) -> str:
    """A column name compared without case, quotes or the `j_` prefix: `J_ZLOGZ` -> `zlogz`."""
    name = str(name).strip().strip("'\"").strip().lower()
    return name[2:] if name.startswith("j_") else name


def _column_lookup(names) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for n in names:
        lookup.setdefault(canonical(n), n)
    return lookup


def _schema_help() -> str:
    return (
        "expected the 16 hls4ml jet features (e.g. j_zlogz or zlogz) and labels as one-hot "
        f"{'/'.join(JSC_ONE_HOT)} or a '{LABEL_COLUMN}' column of {'/'.join(JSC_CLASSES)}"
    )


def _find_columns(names, source: Path) -> tuple[list[str], str | None, list[str] | None]:
    """The actual names of the feature columns and of the label column or one-hot columns."""
    lookup = _column_lookup(names)
    missing = [f for f in JSC_FEATURES if canonical(f) not in lookup]
    label = lookup.get(LABEL_COLUMN)
    one_hot = [lookup[c] for c in JSC_CLASSES if c in lookup]
    if label is None and len(one_hot) != len(JSC_CLASSES):
        missing += [f"{LABEL_COLUMN} (or {', '.join(JSC_ONE_HOT)})"]
    if missing:
        raise DataError(
            f"JSC file '{source}' lacks column(s) {', '.join(missing)}; {_schema_help()}."
        )
    features = [lookup[canonical(f)] for f in JSC_FEATURES]
    return features, label, (None if label is not None else one_hot)


def labels_from_strings(values, source: Path) -> np.ndarray:
    """Class indices of g/q/w/z/t strings (bytes, quotes and case tolerated)."""
    import pandas as pd

    codes, uniques = pd.factorize(np.asarray(values, dtype=object))
    cleaned = [
        (u.decode() if isinstance(u, bytes) else str(u)).strip().strip("'\"").lower() for u in uniques
    ]
    index = {c: i for i, c in enumerate(JSC_CLASSES)}
    unknown = sorted({c for c in cleaned if c not in index})
    if unknown or (codes < 0).any():
        shown = ", ".join(map(repr, unknown[:5])) or "empty values"
        raise DataError(
            f"JSC file '{source}' has unknown class label(s) {shown}; expected {'/'.join(JSC_CLASSES)}."
        )
    mapping = np.array([index[c] for c in cleaned], dtype=np.int64)
    return mapping[codes]


def labels_from_one_hot(one_hot: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(class indices, mask of rows with exactly one class set) of an (N, 5) one-hot array."""
    is_set = np.asarray(one_hot) > 0.5
    valid = is_set.sum(axis=1) == 1
    return np.argmax(is_set, axis=1).astype(np.int64), valid


def table_to_arrays(columns: Mapping[str, np.ndarray], source: Path) -> tuple[np.ndarray, np.ndarray]:
    """(features float32 (N, 16), labels int64 (N,)) from named columns of any JSC form.

    Rows without exactly one one-hot label, or with non-finite features, are dropped (logged).
    """
    features, label, one_hot = _find_columns(list(columns), source)
    try:
        x = np.stack([np.asarray(columns[f], dtype=np.float32) for f in features], axis=1)
    except (TypeError, ValueError) as e:
        raise DataError(f"JSC file '{source}' has non-numeric feature values ({e}).") from None
    if label is not None:
        y = labels_from_strings(np.asarray(columns[label]), source)
        keep = np.ones(len(y), dtype=bool)
    else:
        y, keep = labels_from_one_hot(np.stack([np.asarray(columns[c]) for c in one_hot], axis=1))
    keep &= np.isfinite(x).all(axis=1)
    if not keep.all():
        logger.warning(
            "JSC file %s: dropped %d row(s) without a single class label or with non-finite features.",
            source, int((~keep).sum()),
        )
        x, y = x[keep], y[keep]
    if len(y) == 0:
        raise DataError(f"JSC file '{source}' holds no usable rows.")
    return x, y


def read_jsc_h5(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The HDF5 form: compound table `t_allpar_new`, reading only the fields needed."""
    import h5py

    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise DataError(
            f"JSC file '{path}' is not a readable HDF5 file ({e}); download it again."
        ) from None
    with f:
        if JSC_H5_TABLE not in f:
            found = ", ".join(sorted(f.keys())[:8]) or "nothing"
            raise DataError(f"JSC file '{path}' has no table '{JSC_H5_TABLE}' (found: {found}).")
        table = f[JSC_H5_TABLE]
        names = getattr(table.dtype, "names", None) if isinstance(table, h5py.Dataset) else None
        if not names:
            raise DataError(
                f"JSC file '{path}': '{JSC_H5_TABLE}' is not a table of named fields; {_schema_help()}."
            )
        features, label, one_hot = _find_columns(names, path)
        wanted = features + ([label] if label is not None else one_hot)
        try:
            rows = table.fields(wanted)[()]
        except (OSError, ValueError) as e:
            raise DataError(f"JSC file '{path}': table '{JSC_H5_TABLE}' cannot be read ({e}).") from None
    return table_to_arrays({n: rows[n] for n in wanted}, path)


def _open_text(path: Path):
    return gzip.open(path, "rt") if path.name.endswith(".gz") else open(path)


def read_jsc_arff(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The OpenML ARFF form (plain or gzipped), parsed with SciPy."""
    from scipy.io import arff

    try:
        with _open_text(path) as f:
            data, _meta = arff.loadarff(f)
    except (arff.ArffError, ValueError, OSError, UnicodeDecodeError) as e:
        raise DataError(f"JSC file '{path}' is not a valid ARFF file ({e}).") from None
    return table_to_arrays({n: data[n] for n in data.dtype.names}, path)


def read_jsc_csv(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """The OpenML CSV form (header row of column names; plain or gzipped)."""
    import pandas as pd

    try:
        frame = pd.read_csv(path)
    except (ValueError, OSError, UnicodeDecodeError) as e:
        raise DataError(f"JSC file '{path}' is not a readable CSV file ({e}).") from None
    return table_to_arrays({c: frame[c].to_numpy() for c in frame.columns}, path)


def read_jsc_file(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels from a JSC file of any form, chosen by its name's ending."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith(H5_SUFFIXES):
        return read_jsc_h5(path)
    if name.endswith(ARFF_SUFFIXES):
        return read_jsc_arff(path)
    if name.endswith(CSV_SUFFIXES):
        return read_jsc_csv(path)
    raise DataError(
        f"JSC file '{path}' has an unknown type; use the HDF5 '.z' file or the OpenML "
        f"'{JSC_OPENML_NAME}' as .arff or .csv."
    )

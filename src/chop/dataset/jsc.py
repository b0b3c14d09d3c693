"""`jsc`: the hls4ml jet substructure dataset (16 jet features, 5 classes g/q/w/z/t).

Looks for the raw file (HDF5 `.z`, or OpenML 42468 as ARFF/CSV) in `data_dir` and then in
`$MACHOP_DATA_DIR/jsc/`; without one it tries OpenML (with a short timeout) and otherwise says
in one line which file to put where. Preprocessing drops duplicate rows, holds out a stratified
test part (20%) and a validation part from the training part (10% of it), and standardises the
features with a scaler fitted on the training split only. The result is cached by the source's
SHA-256 and the preprocessing parameters, so a second load only reads tensors.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np
import torch

from chop.dataset import download as net
from chop.dataset.cache import cache_key, cached, file_sha256
from chop.dataset.info import Dataset, DatasetInfo
from chop.dataset.jsc_files import (
    JSC_CLASSES,
    JSC_FEATURES,
    JSC_H5_FILE,
    JSC_OPENML_ID,
    JSC_OPENML_NAME,
    read_jsc_file,
)
from chop.dataset.options import reject_unknown_options
from chop.dataset.paths import dataset_home, find_file, processed_home, search_dirs
from chop.dataset.registry import register_dataset
from chop.dataset.splits import dataset_from_tensors, split_tensors, train_val_test_indices
from chop.errors import DataError

logger = logging.getLogger(__name__)

JSC_INFO = DatasetInfo(
    name="jsc",
    input_shape=(len(JSC_FEATURES),),
    num_classes=len(JSC_CLASSES),
    class_names=JSC_CLASSES,
    description="hls4ml LHC jet substructure: 16 high-level jet features, 5 classes (g, q, w, z, t).",
)

# Raw files looked for, in order of preference.
JSC_FILENAMES = (
    JSC_H5_FILE,
    f"{JSC_OPENML_NAME}.arff",
    f"{JSC_OPENML_NAME}.arff.gz",
    f"{JSC_OPENML_NAME}.csv",
    f"{JSC_OPENML_NAME}.csv.gz",
)
JSC_TEST_SIZE = 0.2
JSC_VAL_SIZE = 0.1
_OPTIONS = ("test_size", "val_size", "download")


def drop_duplicate_rows(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of (features, label) with exact repeats removed, first occurrences kept in order."""
    import pandas as pd

    frame = pd.DataFrame(x)
    frame["label"] = y
    keep = ~frame.duplicated(keep="first").to_numpy()
    return x[keep], y[keep]


def preprocess_jsc(
    x: np.ndarray, y: np.ndarray, split_seed: int, test_size: float, val_size: float
) -> tuple[dict[str, torch.Tensor], dict]:
    """Deduplicate, split and standardise; returns split tensors plus the scaler and counts."""
    from sklearn.preprocessing import StandardScaler  # imported late: it takes ~1 s

    rows_read = len(x)
    x, y = drop_duplicate_rows(x, y)
    indices = train_val_test_indices(y, test_size, val_size, split_seed)
    x64 = x.astype(np.float64)  # float32 arithmetic would shift features with large offsets
    scaler = StandardScaler().fit(x64[indices["train"]])
    scaled = scaler.transform(x64).astype(np.float32)
    tensors = split_tensors(scaled, y, indices)
    tensors["scaler_mean"] = torch.as_tensor(scaler.mean_, dtype=torch.float64)
    tensors["scaler_scale"] = torch.as_tensor(scaler.scale_, dtype=torch.float64)
    meta = {
        "rows_read": rows_read,
        "duplicates_dropped": rows_read - len(x),
        "split_sizes": {k: len(v) for k, v in indices.items()},
        "features": list(JSC_FEATURES),
        "class_names": list(JSC_CLASSES),
    }
    return tensors, meta


def find_jsc_file(data_dir: str | Path | None) -> Path | None:
    """The raw JSC file: `data_dir` itself when it is a file, else the first known name found."""
    if data_dir is not None and Path(data_dir).expanduser().is_file():
        return Path(data_dir).expanduser()
    return find_file(search_dirs("jsc", data_dir), JSC_FILENAMES)


def download_jsc_openml(dest_dir: Path) -> Path:
    """Fetch OpenML 42468 (MD5-checked by scikit-learn) and store it as CSV in `dest_dir`."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="openml-", dir=dest_dir) as home:
        frame = net.fetch_openml_frame(JSC_OPENML_ID, home)
    dest = dest_dir / f"{JSC_OPENML_NAME}.csv"
    tmp = dest_dir / f".{dest.name}.part"
    try:
        frame.to_csv(tmp, index=False)
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)
    logger.info("Saved OpenML dataset %d to %s", JSC_OPENML_ID, dest)
    return dest


def missing_jsc_message(data_dir: str | Path | None, reason: str) -> str:
    """One line: which file is needed, where to put it, and why it could not be fetched."""
    where = f"'{dataset_home('jsc')}/'"
    if data_dir is not None:
        where += f" or '{Path(data_dir).expanduser()}/'"
    return (
        f"JSC data not found: put '{JSC_H5_FILE}' (or OpenML {JSC_OPENML_ID} "
        f"'{JSC_OPENML_NAME}' as .arff or .csv) in {where}; {reason}."
    )


def locate_or_download_jsc(data_dir: str | Path | None, allow_download: bool) -> Path:
    """The raw JSC file, downloading the OpenML copy when none is on disk."""
    found = find_jsc_file(data_dir)
    if found is not None:
        return found
    if not allow_download:
        raise DataError(missing_jsc_message(data_dir, "downloads are switched off"))
    try:
        return download_jsc_openml(dataset_home("jsc"))
    except net.DownloadError as e:
        raise DataError(missing_jsc_message(data_dir, f"the OpenML download failed: {e}")) from None
    except OSError as e:
        raise DataError(missing_jsc_message(data_dir, f"saving the OpenML copy failed: {e}")) from None


@register_dataset("jsc", JSC_INFO)
def load_jsc(
    data_dir: str | Path | None = None,
    split_seed: int = 42,
    test_size: float = JSC_TEST_SIZE,
    val_size: float = JSC_VAL_SIZE,
    download: bool = True,
    **options,
) -> Dataset:
    """JSC train/val/test tensors: x float32 (N, 16) standardised, y int64 in g/q/w/z/t order."""
    reject_unknown_options("jsc", options, _OPTIONS)
    source = locate_or_download_jsc(data_dir, download)
    params = {"split_seed": split_seed, "test_size": test_size, "val_size": val_size}
    key = cache_key("jsc", [file_sha256(source)], params)

    def build():
        logger.info("Preprocessing JSC from %s (cached once as %s)", source, key)
        return preprocess_jsc(*read_jsc_file(source), split_seed, test_size, val_size)

    tensors, _meta = cached(processed_home("jsc"), key, build, check=lambda t: dataset_from_tensors(JSC_INFO, t))
    return dataset_from_tensors(JSC_INFO, tensors)

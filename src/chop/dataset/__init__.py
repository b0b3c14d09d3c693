"""Datasets, one file per family; each registers itself in `DATASETS` on import.

`get_dataset_info(name)` tells a dataset's shape and classes without loading it;
`get_dataset(name, data_dir=None, split_seed=42)` returns its train/val/test tensors. Raw files
and processed caches live under `$MACHOP_DATA_DIR` (default `~/.cache/machop`).
"""

from chop.dataset.info import Dataset, DatasetInfo, TensorSplit
from chop.dataset.paths import DATA_DIR_ENV, data_root
from chop.dataset.registry import (
    DATASETS,
    DatasetEntry,
    get_dataset,
    get_dataset_info,
    register_dataset,
)
from chop.dataset import jsc, tabular, text_files, text_hub, text_packaged, toy, vision  # noqa: F401  (registers)


def __getattr__(name: str):
    """`chop.dataset.MaseDataModule`, MASE's import path (loaded on first use)."""
    if name == "MaseDataModule":
        from chop.dataset.datamodule import MaseDataModule

        return MaseDataModule
    raise AttributeError(f"module 'chop.dataset' has no attribute {name!r}")


__all__ = [
    "MaseDataModule",
    "DATASETS",
    "DATA_DIR_ENV",
    "Dataset",
    "DatasetEntry",
    "DatasetInfo",
    "TensorSplit",
    "data_root",
    "get_dataset",
    "get_dataset_info",
    "register_dataset",
]

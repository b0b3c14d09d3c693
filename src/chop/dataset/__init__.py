"""Datasets, one file per family; each registers itself in `DATASETS` on import."""

from chop.dataset.info import Dataset, DatasetInfo, TensorSplit
from chop.dataset.registry import (
    DATASETS,
    DatasetEntry,
    get_dataset,
    get_dataset_info,
    register_dataset,
)
from chop.dataset import toy  # noqa: F401  (registers)

__all__ = [
    "DATASETS",
    "Dataset",
    "DatasetEntry",
    "DatasetInfo",
    "TensorSplit",
    "get_dataset",
    "get_dataset_info",
    "register_dataset",
]

"""`digits`: scikit-learn's bundled 8x8 handwritten digits (1797 images, 10 classes), no download.

Images come as (1, 8, 8) float32 scaled to [0, 1] (pixel / 16). 20% is held out for test with
the split seed, and a validation part (10% of the rest) is carved from the training part.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from chop.dataset.info import Dataset, DatasetInfo
from chop.dataset.options import reject_unknown_options
from chop.dataset.registry import register_dataset
from chop.dataset.splits import dataset_from_tensors, split_sizes, split_tensors, train_val_test_indices

DIGITS_ROWS = 1797  # fixed by scikit-learn's bundled copy
DIGITS_TEST_SIZE = 0.2
DIGITS_VAL_SIZE = 0.1
DIGITS_MAX_PIXEL = 16.0

DIGITS_INFO = DatasetInfo(
    name="digits",
    input_shape=(1, 8, 8),
    num_classes=10,
    class_names=tuple(str(d) for d in range(10)),
    split_sizes=split_sizes(DIGITS_ROWS, DIGITS_TEST_SIZE, DIGITS_VAL_SIZE),
    description="scikit-learn's 8x8 handwritten digits, 10 classes (bundled, no download).",
)


@register_dataset("digits", DIGITS_INFO)
def load_digits_dataset(
    data_dir: str | Path | None = None,
    split_seed: int = 42,
    test_size: float = DIGITS_TEST_SIZE,
    val_size: float = DIGITS_VAL_SIZE,
    **options,
) -> Dataset:
    """Digits as x float32 (N, 1, 8, 8) in [0, 1] and y int64; `data_dir` is not used."""
    from sklearn.datasets import load_digits

    reject_unknown_options("digits", options, ("test_size", "val_size"))
    bunch = load_digits()
    x = (bunch.images.astype(np.float32) / DIGITS_MAX_PIXEL)[:, None, :, :]
    y = bunch.target.astype(np.int64)
    indices = train_val_test_indices(y, test_size, val_size, split_seed)
    return dataset_from_tensors(DIGITS_INFO, split_tensors(x, y, indices))

"""Train / validation / test index splits, reproducible from a seed and stratified by class.

The validation split is always carved out of the training part, so it never overlaps the
training or the test data.
"""

from __future__ import annotations

import math

import numpy as np
from chop.errors import ConfigError


def holdout_size(n: int, size: float | int) -> int:
    """How many of `n` rows a hold-out of `size` (a fraction, or a count) takes.

    Fractions round up, as scikit-learn's `train_test_split` does for its test part.
    """
    if isinstance(size, float):
        if not 0.0 < size < 1.0:
            raise ConfigError(f"A split fraction must be between 0 and 1, got {size}.")
        return math.ceil(size * n)
    if not 0 < size < n:
        raise ConfigError(f"A split of {size} rows needs more than {size} rows; the data has {n}.")
    return int(size)


def holdout(labels: np.ndarray, size: float | int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Split positions `0..len(labels)-1` into (kept, held out), stratified by label when possible.

    Both index arrays are sorted, so that the rows keep their file order within each part.
    """
    from sklearn.model_selection import train_test_split  # imported late: it takes ~1 s

    labels = np.asarray(labels)
    n = len(labels)
    n_held = holdout_size(n, size)
    positions = np.arange(n)
    _, counts = np.unique(labels, return_counts=True)
    can_stratify = counts.min() >= 2 and min(n_held, n - n_held) >= len(counts)
    kept, held = train_test_split(
        positions,
        test_size=n_held,
        random_state=seed,
        shuffle=True,
        stratify=labels if can_stratify else None,
    )
    return np.sort(kept), np.sort(held)


def train_val_test_indices(
    labels: np.ndarray, test_size: float | int, val_size: float | int, seed: int
) -> dict[str, np.ndarray]:
    """Row indices of train, val and test: test held out first, then val from what is left."""
    rest, test = holdout(labels, test_size, seed)
    train_pos, val_pos = holdout(np.asarray(labels)[rest], val_size, seed)
    return {"train": rest[train_pos], "val": rest[val_pos], "test": test}


def split_sizes(n: int, test_size: float | int, val_size: float | int) -> dict[str, int]:
    """The sizes `train_val_test_indices` gives for `n` rows, without any data."""
    n_test = holdout_size(n, test_size)
    n_val = holdout_size(n - n_test, val_size)
    return {"train": n - n_test - n_val, "val": n_val, "test": n_test}


def split_tensors(x, y, indices: dict[str, np.ndarray]) -> dict:
    """`{"train_x": ..., "train_y": ..., "val_x": ...}` from arrays and per-split row indices."""
    import torch

    out = {}
    for split, rows in indices.items():
        out[f"{split}_x"] = torch.as_tensor(np.ascontiguousarray(x[rows]))
        out[f"{split}_y"] = torch.as_tensor(np.ascontiguousarray(y[rows]), dtype=torch.int64)
    return out


MIN_TRAIN_ROWS = 2  # BatchNorm cannot train on a batch of one


def dataset_from_tensors(info, tensors: dict, x_transform=None):
    """A `Dataset` from `{split}_x` / `{split}_y` tensors, its info's split sizes filled in.

    For text (`info.input_names` set) the inputs are `{split}_<name>` for each input name, e.g.
    `train_input_ids`, handed out as int64. `x_transform` (optional) maps each stored `x` to the
    tensor handed out, e.g. uint8 -> [0, 1].
    """
    import torch

    from chop.dataset.info import TensorSplit

    splits = {}
    for split in ("train", "val", "test"):
        y = tensors.get(f"{split}_y")
        if info.input_names:
            x = {name: _checked_inputs(info, split, tensors.get(f"{split}_{name}"), y, name)
                 for name in info.input_names}
            x = {name: t.to(torch.int64) for name, t in x.items()}
        else:
            x = tensors.get(f"{split}_x")
            if isinstance(x, torch.Tensor):
                x = x_transform(x) if x_transform is not None else x.to(torch.float32)
            x = _checked_inputs(info, split, x, y, "inputs")
        splits[split] = TensorSplit(x, y.to(torch.int64))
    return _sized_dataset(info, splits)


def _checked_inputs(info, split: str, x, y, what: str):
    """`x` when it is a tensor with one row per label of `y` and the info's input shape."""
    import torch

    from chop.errors import DataError

    if not isinstance(x, torch.Tensor) or not isinstance(y, torch.Tensor) or len(x) != len(y) or \
            (info.input_shape and tuple(x.shape[1:]) != tuple(info.input_shape)):
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else None
        raise DataError(f"Dataset '{info.name}': the {split} split has {what} of shape {shape}, expected "
                        f"(N, {', '.join(map(str, info.input_shape))}) with one label per row.")
    return x


def _sized_dataset(info, splits: dict):
    """The `Dataset` of three splits, refusing one too small to train on."""
    from dataclasses import replace

    from chop.dataset.info import Dataset
    from chop.errors import DataError

    sizes = {split: len(s) for split, s in splits.items()}
    if sizes["train"] < MIN_TRAIN_ROWS or not sizes["val"] or not sizes["test"]:
        raise DataError(f"Dataset '{info.name}' is too small to train on: {sizes['train']} training, "
                        f"{sizes['val']} validation and {sizes['test']} test rows after splitting "
                        f"(needs at least {MIN_TRAIN_ROWS} training rows and one of each other); use the full data file.")
    return Dataset(info=replace(info, split_sizes=sizes), **splits)

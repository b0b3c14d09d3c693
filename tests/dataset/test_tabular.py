"""`digits`: scikit-learn's bundled 8x8 digits as (1, 8, 8) images in [0, 1]."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from chop.dataset import get_dataset, get_dataset_info
from chop.errors import ConfigError


def as_rows(x: np.ndarray, y: np.ndarray) -> list[bytes]:
    """Each (image, label) as bytes, sorted: a multiset that can be compared."""
    return sorted(xi.tobytes() + yi.tobytes() for xi, yi in zip(x.reshape(len(x), -1), y))


def test_info_before_loading_matches_the_loaded_sizes():
    info = get_dataset_info("digits")
    ds = get_dataset("digits")
    assert info.input_shape == (1, 8, 8) and info.num_classes == 10
    assert info.class_names == tuple("0123456789")
    assert info.split_sizes == {"train": 1293, "val": 144, "test": 360}
    assert {s: len(ds.split(s)) for s in ("train", "val", "test")} == info.split_sizes


def test_splits_hold_every_image_once_scaled_to_unit_range():
    ds = get_dataset("digits")
    bunch = load_digits()
    x = torch.cat([ds.train.x, ds.val.x, ds.test.x]).numpy()
    y = torch.cat([ds.train.y, ds.val.y, ds.test.y]).numpy()
    assert x.dtype == np.float32 and y.dtype == np.int64
    assert x.shape == (1797, 1, 8, 8)
    assert x.min() == 0.0 and x.max() == 1.0
    expected = (bunch.images / 16.0).astype(np.float32)
    assert as_rows(x, y) == as_rows(expected, bunch.target.astype(np.int64))


def test_split_depends_on_the_seed_only():
    a, b, c = get_dataset("digits"), get_dataset("digits", split_seed=42), get_dataset("digits", split_seed=1)
    assert torch.equal(a.test.x, b.test.x) and torch.equal(a.val.y, b.val.y)
    assert not torch.equal(a.test.x, c.test.x)


def test_test_size_option():
    ds = get_dataset("digits", test_size=0.5)
    assert len(ds.test) == 899


def test_unknown_option():
    with pytest.raises(ConfigError, match="Dataset 'digits' has no option 'batch_size'"):
        get_dataset("digits", batch_size=3)

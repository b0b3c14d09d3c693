"""Seeded, stratified train/val/test index splits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chop.dataset.splits import holdout, holdout_size, split_sizes, train_val_test_indices
from chop.errors import ConfigError


@settings(max_examples=20, deadline=None)
@given(
    n=st.integers(30, 400),
    classes=st.integers(1, 6),
    test=st.floats(0.05, 0.5),
    val=st.floats(0.05, 0.5),
    seed=st.integers(0, 2**16),
)
def test_splits_partition_the_rows_with_the_announced_sizes(n, classes, test, val, seed):
    labels = np.arange(n) % classes
    idx = train_val_test_indices(labels, test, val, seed)
    together = np.concatenate([idx["train"], idx["val"], idx["test"]])
    assert sorted(together.tolist()) == list(range(n))  # disjoint and complete
    assert {k: len(v) for k, v in idx.items()} == split_sizes(n, test, val)
    assert len(idx["test"]) == math.ceil(test * n)


def test_same_seed_same_split_other_seed_other_split():
    labels = np.arange(1000) % 5
    a = train_val_test_indices(labels, 0.2, 0.1, 42)
    b = train_val_test_indices(labels, 0.2, 0.1, 42)
    c = train_val_test_indices(labels, 0.2, 0.1, 43)
    assert all(np.array_equal(a[k], b[k]) for k in a)
    assert not np.array_equal(a["test"], c["test"])


def test_splits_keep_class_proportions():
    labels = np.repeat([0, 1, 2], [600, 300, 100])
    idx = train_val_test_indices(labels, 0.2, 0.1, 0)
    for rows in idx.values():
        shares = np.bincount(labels[rows], minlength=3) / len(rows)
        np.testing.assert_allclose(shares, [0.6, 0.3, 0.1], atol=0.02)


def test_rare_classes_fall_back_to_a_plain_random_split():
    labels = np.array([0] * 20 + [1])  # class 1 has a single row: cannot be stratified
    kept, held = holdout(labels, 5, seed=0)
    assert len(kept) == 16 and len(held) == 5
    assert not set(kept) & set(held)


def test_count_and_fraction_sizes():
    assert holdout_size(60000, 5000) == 5000
    assert holdout_size(1797, 0.2) == 360
    with pytest.raises(ConfigError, match="between 0 and 1"):
        holdout_size(100, 1.5)
    with pytest.raises(ConfigError, match="needs more than 5000 rows"):
        holdout_size(100, 5000)

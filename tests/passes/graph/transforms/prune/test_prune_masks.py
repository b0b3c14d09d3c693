"""Exact-k masks from scores, checked against their definitions (numpy) and as properties."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from chop.passes.graph.transforms.prune.masks import (
    channel_reduce,
    expand_channel_mask,
    global_masks,
    keep_lowest_pruned,
    local_masks,
    num_pruned,
    weight_scores,
)


@pytest.mark.parametrize("s,n,k", [(0.5, 5, 3), (0.5, 4, 2), (0.3, 10, 3), (0.25, 6, 2), (0.0, 7, 0),
                                   (1.0, 7, 7), (0.7, 1, 1), (0.49, 1, 0)])
def test_num_pruned_rounds_half_up(s, n, k):
    assert num_pruned(s, n) == k


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(-3, 3), min_size=1, max_size=40), st.floats(0, 1))
def test_exactly_k_lowest_are_pruned_ties_earliest_first(values, sparsity):
    scores = torch.tensor(values, dtype=torch.float32)
    k = num_pruned(sparsity, len(values))
    keep = keep_lowest_pruned(scores, k).numpy()
    assert (~keep).sum() == k
    order = np.lexsort((np.arange(len(values)), np.array(values)))  # by value, then position
    expected = np.ones(len(values), dtype=bool)
    expected[order[:k]] = False
    assert (keep == expected).all()


def test_channel_scores_are_row_mean_abs_and_rms():
    w = torch.randn(6, 3, 2, 2)
    flat = w.reshape(6, -1).numpy().astype(np.float64)
    l1 = weight_scores(w, "l1-norm", "channel")
    l2 = weight_scores(w, "l2-norm", "channel")
    np.testing.assert_allclose(l1.numpy(), np.abs(flat).mean(axis=1))
    np.testing.assert_allclose(l2.numpy(), np.sqrt((flat**2).mean(axis=1)))
    np.testing.assert_allclose(channel_reduce(w, "l1-norm", dim=1).numpy(),
                               np.abs(w.numpy().astype(np.float64)).mean(axis=(0, 2, 3)))
    assert weight_scores(w, "l1-norm", "elementwise").shape == w.shape


def test_random_scores_follow_the_seeded_generator():
    w = torch.zeros(4, 5)
    a = weight_scores(w, "random", "elementwise", torch.Generator().manual_seed(3))
    b = weight_scores(w, "random", "elementwise", torch.Generator().manual_seed(3))
    c = weight_scores(w, "random", "elementwise", torch.Generator().manual_seed(4))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert weight_scores(w, "random", "channel", torch.Generator()).shape == (4,)


def test_global_ranks_across_entries_local_within_each():
    scores = {"a": torch.tensor([1.0, 2.0, 3.0, 4.0]), "b": torch.tensor([10.0, 20.0, 30.0, 40.0])}
    glob = global_masks(scores, 0.5)
    assert glob["a"].tolist() == [False] * 4 and glob["b"].tolist() == [True] * 4
    loc = local_masks(scores, {"a": 0.5, "b": 0.25})
    assert loc["a"].tolist() == [False, False, True, True]
    assert loc["b"].tolist() == [False, True, True, True]
    assert global_masks({}, 0.5) == {}


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 30), min_size=1, max_size=5), st.floats(0, 1), st.integers(0, 99))
def test_global_prunes_exactly_k_of_the_total(sizes, sparsity, seed):
    gen = torch.Generator().manual_seed(seed)
    scores = {f"l{i}": torch.rand(n, generator=gen) for i, n in enumerate(sizes)}
    masks = global_masks(scores, sparsity)
    assert sum(int((~m).sum()) for m in masks.values()) == num_pruned(sparsity, sum(sizes))
    pruned_max = max((float(scores[n][~m].max()) for n, m in masks.items() if (~m).any()), default=-1)
    kept_min = min((float(scores[n][m].min()) for n, m in masks.items() if m.any()), default=2)
    assert pruned_max <= kept_min


def test_channel_mask_expands_over_rows():
    rows = torch.tensor([True, False, True])
    mask = expand_channel_mask(rows, torch.Size([3, 2, 2]))
    assert mask.shape == (3, 2, 2) and mask[1].sum() == 0 and mask[[0, 2]].all()

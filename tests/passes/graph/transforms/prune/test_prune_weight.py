"""Weight pruning: exactly round(s*n) pruned per method, scope and granularity, as defined."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from prune_helpers import DIGITS, graph, weight_of, zero_rows, zeros

from chop.passes.graph import prune_transform_pass
from chop.passes.graph.transforms.prune.masks import num_pruned
from chop.passes.graph.transforms.prune.modules import MaskedLinear

HIDDEN = ("seq_blocks_2", "seq_blocks_4")  # jsc-s: Linear(16, 64), Linear(64, 64); seq_blocks_6 = classifier


@pytest.mark.parametrize("method", ["random", "l1-norm", "l2-norm"])
@pytest.mark.parametrize("sparsity", [0.3, 0.5, 0.77])
def test_local_elementwise_prunes_exactly_k_per_layer(method, sparsity):
    mg = graph()
    new, res = prune_transform_pass(mg, {"weight": {"method": method, "sparsity": sparsity}})
    for name in (*HIDDEN, "seq_blocks_6"):
        w = weight_of(new, name)
        assert zeros(w) == num_pruned(sparsity, w.numel()) == res["weight"][name]["pruned"]


@pytest.mark.parametrize("method", ["random", "l1-norm", "l2-norm"])
def test_local_channel_prunes_exactly_k_rows(method):
    mg = graph()
    new, res = prune_transform_pass(mg, {"weight": {"method": method, "granularity": "channel",
                                                    "sparsity": 0.3, "exclude": ["seq_blocks_6"]}})
    for name in HIDDEN:
        assert zero_rows(weight_of(new, name)) == num_pruned(0.3, 64) == res["weight"][name]["pruned"]
    bias = new.model.get_submodule("seq_blocks.2").effective_bias()
    assert zeros(bias) == num_pruned(0.3, 64)


@pytest.mark.parametrize("granularity,unit", [("elementwise", lambda w: w.numel()), ("channel", lambda w: w.shape[0])])
@pytest.mark.parametrize("method", ["random", "l1-norm"])
def test_global_prunes_exactly_k_of_all_layers_and_differs_from_local(granularity, unit, method):
    mg = graph()
    args = {"method": method, "granularity": granularity, "sparsity": 0.5, "exclude": ["seq_blocks_6"]}
    glob, _ = prune_transform_pass(mg, {"weight": {**args, "scope": "global"}})
    loc, _ = prune_transform_pass(mg, {"weight": args})
    count = zeros if granularity == "elementwise" else zero_rows
    total = sum(unit(weight_of(mg, n)) for n in HIDDEN)
    assert sum(count(weight_of(glob, n)) for n in HIDDEN) == num_pruned(0.5, total)
    assert [count(weight_of(glob, n)) for n in HIDDEN] != [count(weight_of(loc, n)) for n in HIDDEN]


def test_l1_prunes_the_smallest_magnitudes_per_layer_numpy():
    mg = graph()
    new, _ = prune_transform_pass(mg, {"weight": {"method": "l1-norm", "sparsity": 0.4}})
    w = weight_of(mg, "seq_blocks_4").numpy()
    k = num_pruned(0.4, w.size)
    order = np.lexsort((np.arange(w.size), np.abs(w).ravel()))
    expected = np.ones(w.size, dtype=bool)
    expected[order[:k]] = False
    kept = new.model.get_submodule("seq_blocks.4").weight_mask.numpy().ravel()
    assert (kept == expected).all()
    np.testing.assert_array_equal(weight_of(new, "seq_blocks_4").numpy().ravel(), np.where(expected, w.ravel(), 0))


def test_global_l1_threshold_is_shared_across_layers():
    mg = graph()
    new, _ = prune_transform_pass(mg, {"weight": {"scope": "global", "sparsity": 0.6}})
    pruned, kept = [], []
    for name in (*HIDDEN, "seq_blocks_6"):
        mask = new.model.get_submodule(mg.node(name).target).weight_mask
        w = weight_of(mg, name).abs()
        pruned.append(w[~mask].max())
        kept.append(w[mask].min())
    assert max(pruned) <= min(kept)


def test_l1_ties_are_broken_by_position():
    mg = graph()
    with torch.no_grad():
        mg.model.get_submodule("seq_blocks.2").weight.fill_(0.5)
    new, _ = prune_transform_pass(mg, {"weight": {"sparsity": 0.25, "layers": ["seq_blocks_2"]}})
    mask = new.model.get_submodule("seq_blocks.2").weight_mask.ravel()
    assert not mask[:256].any() and mask[256:].all()


def test_random_is_seeded_and_deterministic():
    mg = graph()
    args = {"weight": {"method": "random", "sparsity": 0.5}}
    a, _ = prune_transform_pass(mg, {**args, "seed": 1})
    b, _ = prune_transform_pass(mg, {**args, "seed": 1})
    c, _ = prune_transform_pass(mg, {**args, "seed": 2})
    mask = lambda g: g.model.get_submodule("seq_blocks.4").weight_mask  # noqa: E731
    assert torch.equal(mask(a), mask(b)) and not torch.equal(mask(a), mask(c))


def test_per_layer_sparsity_table_and_excluded_classifier_untouched():
    mg = graph()
    new, _ = prune_transform_pass(mg, {"weight": {"sparsity": {"seq_blocks_2": 0.25, "linear": 0.5},
                                                  "exclude": ["seq_blocks_6"]}})
    assert zeros(weight_of(new, "seq_blocks_2")) == num_pruned(0.25, 16 * 64)
    assert zeros(weight_of(new, "seq_blocks_4")) == num_pruned(0.5, 64 * 64)
    assert type(new.model.get_submodule("seq_blocks.6")) is torch.nn.Linear
    assert torch.equal(weight_of(new, "seq_blocks_6"), weight_of(mg, "seq_blocks_6"))
    assert isinstance(new.model.get_submodule("seq_blocks.2"), MaskedLinear)


def test_channel_pruning_also_masks_the_consumers_input_columns():
    mg = graph()
    new, _ = prune_transform_pass(mg, {"weight": {"granularity": "channel", "sparsity": 0.5,
                                                  "layers": ["seq_blocks_2"]}})
    dropped = ~new.model.get_submodule("seq_blocks.2").weight_mask.any(dim=1)
    consumer = new.model.get_submodule("seq_blocks.4").weight_mask
    assert int(dropped.sum()) == 32
    assert not consumer[:, dropped].any() and consumer[:, ~dropped].all()


def test_conv_channels_prune_rows_of_four_dimensional_weights():
    mg = graph("cnn", DIGITS)
    new, res = prune_transform_pass(mg, {"weight": {"granularity": "channel", "sparsity": 0.25,
                                                    "layers": ["conv2d"]}})
    for name, channels in (("features_0", 16), ("features_4", 32)):
        assert zero_rows(weight_of(new, name)) == num_pruned(0.25, channels)
    # features_4 reads features_0's channels through BN, ReLU and max-pool: columns masked too.
    w = weight_of(new, "features_4")
    assert int((w == 0).all(dim=(0, 2, 3)).sum()) == num_pruned(0.25, 16)

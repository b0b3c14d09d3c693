"""add_pruning_metadata: measured weight and activation sparsity per node, as defined."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from prune_helpers import JSC, batch_of, batches, graph

from chop.errors import ConfigError
from chop.passes.graph import add_pruning_metadata_analysis_pass, prune_transform_pass


def test_weight_and_activation_sparsity_are_the_fractions_of_zeros():
    mg = graph()
    new, _ = prune_transform_pass(mg, {"weight": {"sparsity": 0.3, "exclude": ["seq_blocks_6"]},
                                       "activation": {"sparsity": 0.5, "granularity": "channel"},
                                       "input_generator": batches(JSC, 2)})
    x = batch_of(JSC, 64, seed=4)
    out, res = add_pruning_metadata_analysis_pass(new, {"dummy_in": {"x": x}})
    assert out is new
    w = new.model.get_submodule("seq_blocks.4").effective_weight().detach().numpy()
    assert res["weight_sparsity"]["seq_blocks_4"] == pytest.approx((w == 0).mean())
    assert res["weight_sparsity"]["seq_blocks_4"] == pytest.approx(0.3, abs=1 / 4096)
    assert res["weight_sparsity"]["seq_blocks_6"] == 0.0
    # The masked input of seq_blocks_4: ReLU zeros plus the 32 masked features.
    seen = []
    new.model.get_submodule("seq_blocks.4").register_forward_pre_hook(lambda m, a: seen.append(a[0].clone()))
    new.model.eval()
    with torch.no_grad():
        new.model(x)
    a = seen[0].numpy()
    assert res["activation_sparsity"]["seq_blocks_4_input_mask"] == pytest.approx((a == 0).mean())
    assert (a == 0).mean() >= 0.5
    software = new.node("seq_blocks_4").meta["mase"]["software"]["pruning"]
    assert software == {"weight_sparsity": res["weight_sparsity"]["seq_blocks_4"],
                        "activation_sparsity": res["activation_sparsity"]["seq_blocks_4"]}
    assert "seq_blocks_4_input_mask" in res["text"] and "Weight sparsity" in res["text"]


def test_without_dummy_in_only_weights_are_measured():
    mg = graph()
    _, res = add_pruning_metadata_analysis_pass(mg, None)
    assert res["activation_sparsity"] == {} and set(res["weight_sparsity"]) >= {"seq_blocks_2", "seq_blocks_4"}
    w = mg.model.get_submodule("seq_blocks.2").weight.detach().numpy()
    assert res["weight_sparsity"]["seq_blocks_2"] == float(np.mean(w == 0))
    with pytest.raises(ConfigError, match="dummy_inn"):
        add_pruning_metadata_analysis_pass(mg, {"dummy_inn": 1})

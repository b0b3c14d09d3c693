"""Shrinking: pruned channels physically removed; same outputs as the masked model, fewer parameters."""

from __future__ import annotations

import pytest
import torch
from prune_helpers import DIGITS, JSC, batch_of, graph
from torch import nn

from chop import MaseGraph
from chop.dataset.info import DatasetInfo
from chop.passes.graph import prune_transform_pass
from chop.passes.graph.transforms.prune.masks import num_pruned
from chop.passes.graph.transforms.prune.modules import MaskedModule

FASHION = DatasetInfo(name="fashion-mnist", input_shape=(1, 28, 28), num_classes=10)
CASES = [("jsc-s", JSC, ["seq_blocks_6"]), ("mlp", FASHION, ["seq_blocks_5"]), ("cnn", DIGITS, ["classifier_1"])]


def params(mg: MaseGraph) -> int:
    return sum(p.numel() for p in mg.model.parameters())


@pytest.mark.parametrize("model,info,classifier", CASES, ids=[c[0] for c in CASES])
def test_shrunk_model_matches_the_masked_one_with_fewer_parameters(model, info, classifier):
    mg = graph(model, info)
    weight = {"granularity": "channel", "sparsity": 0.5, "exclude": classifier}
    masked, _ = prune_transform_pass(mg, {"weight": weight})
    x = batch_of(info, 16, seed=1)
    small, res = prune_transform_pass(mg, {"weight": weight, "shrink": True, "dummy_in": {"x": x}})
    masked.model.eval(), small.model.eval()
    torch.testing.assert_close(small.model(x), masked.model(x), rtol=1e-5, atol=1e-6)
    assert params(small) < params(mg) and res["shrink"]["params_after"] == params(small)
    assert res["shrink"]["params_before"] == params(mg) and res["shrink"]["not_shrunk"] == []
    for row in res["shrink"]["shrunk"].values():
        assert row["channels_after"] == row["channels_before"] - num_pruned(0.5, row["channels_before"])
    # Shrunk layers are plain dense layers again, and the refreshed metadata has the new shapes.
    assert not any(isinstance(m, MaskedModule) for m in small.model.modules())
    first = small.node(next(iter(res["shrink"]["shrunk"])))
    assert first.meta["mase"]["common"]["results"]["data_out_0"]["shape"][1] == res["shrink"]["shrunk"][first.name]["channels_after"]


def test_jsc_s_shapes_after_removing_half_the_neurons():
    mg = graph()
    small, _ = prune_transform_pass(mg, {"weight": {"granularity": "neuron", "sparsity": 0.5,
                                                    "exclude": ["seq_blocks_6"]}, "shrink": True})
    layers = [small.model.get_submodule(f"seq_blocks.{i}") for i in (2, 4, 6)]
    assert [(m.in_features, m.out_features) for m in layers] == [(16, 32), (32, 32), (32, 5)]


def test_shrink_keeps_the_batch_norm_channels_of_kept_features():
    mg = graph("cnn", DIGITS)
    with torch.no_grad():
        mg.model.features[1].running_mean.copy_(torch.arange(16.0))
    small, res = prune_transform_pass(mg, {"weight": {"granularity": "channel", "sparsity": 0.25,
                                                      "layers": ["features_0"]}, "shrink": True})
    pruned = set(small.recipe()["passes"][-1][1]["recorded"]["channels"]["features_0"])
    kept = [c for c in range(16) if c not in pruned]
    assert small.model.features[1].running_mean.tolist() == [float(c) for c in kept]
    assert small.model.features[4].in_channels == len(kept) == 12


def test_shrunk_graph_saves_and_loads_with_its_shapes(tmp_path):
    mg = graph()
    small, _ = prune_transform_pass(mg, {"weight": {"method": "l2-norm", "granularity": "channel",
                                                    "sparsity": 0.5, "exclude": ["seq_blocks_6"]}, "shrink": True})
    small.save(tmp_path / "g")
    loaded = MaseGraph.load(tmp_path / "g")
    x = batch_of(JSC, 8, seed=2)
    small.model.eval(), loaded.model.eval()
    assert torch.equal(loaded.model(x), small.model(x))
    assert params(loaded) == params(small)


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1, self.l2 = nn.Linear(8, 8), nn.Linear(8, 8)

    def forward(self, x):
        h = torch.relu(self.l1(x))
        return self.l2(h) + h


def test_channels_that_reach_an_add_stay_masked_and_are_not_removed():
    torch.manual_seed(0)
    mg = MaseGraph(Residual())
    small, res = prune_transform_pass(mg, {"weight": {"granularity": "channel", "sparsity": 0.5},
                                           "shrink": True})
    assert res["shrink"]["not_shrunk"] == ["l1", "l2"] and res["shrink"]["shrunk"] == {}
    assert small.model.l1.weight.shape == (8, 8)
    assert int((~small.model.l1.weight_mask.any(dim=1)).sum()) == 4
    dropped, l2 = ~small.model.l1.weight_mask.any(dim=1), small.model.l2.weight_mask
    assert l2[l2.any(dim=1)][:, dropped].all()  # l2's kept rows still read l1's dropped channels

"""Following a layer's output channels through per-channel ops to the layers that read them."""

from __future__ import annotations

import torch
from prune_helpers import DIGITS, graph
from torch import nn

from chop import MaseGraph
from chop.passes.graph import add_common_metadata_analysis_pass, init_metadata_analysis_pass
from chop.passes.graph.transforms.prune.channels import consumer_columns, follow_channels


def test_cnn_chains_through_norm_pool_and_flatten():
    mg = graph("cnn", DIGITS)
    first = follow_channels(mg.model, mg.node("features_0"))
    assert first.norms == ["features.1"] and first.consumers == [("features.4", 1)]
    second = follow_channels(mg.model, mg.node("features_4"))
    assert second.norms == ["features.5"] and second.consumers == [("classifier.1", 4)]  # 2x2 positions
    assert follow_channels(mg.model, mg.node("classifier_1")) is None  # feeds the output
    assert consumer_columns([0, 2], 4) == [0, 1, 2, 3, 8, 9, 10, 11]


class Functional(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv, self.head = nn.Conv1d(2, 4, 3), nn.Linear(4 * 6, 3)
        self.ln_in, self.ln = nn.Linear(5, 4), nn.LayerNorm(4)

    def forward(self, x, y):
        z = torch.flatten(torch.nn.functional.gelu(self.conv(x)), 1)
        return self.head(z), self.ln(self.ln_in(y))


def test_functional_ops_are_followed_and_channel_mixing_ops_are_not():
    mg = MaseGraph(Functional())
    mg, _ = init_metadata_analysis_pass(mg, None)
    mg, _ = add_common_metadata_analysis_pass(mg, None)
    chain = follow_channels(mg.model, mg.node("conv"))
    assert chain.norms == [] and chain.consumers == [("head", 6)]
    assert follow_channels(mg.model, mg.node("ln_in")) is None  # LayerNorm mixes features

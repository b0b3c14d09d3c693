"""A quantized model traced again is costed in full: every quantized module is an op the table
knows (a regression: Mish and the quantized add were once unknown, so two nodes went uncounted)."""

from __future__ import annotations

import torch
from torch import nn

from chop import MaseGraph
from chop.passes.graph import (
    add_common_metadata_analysis_pass,
    flops_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
)

INTEGER = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4, "weight_width": 8,
           "weight_frac_width": 4, "bias_width": 8, "bias_frac_width": 4}


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin, self.act = nn.Linear(6, 6), nn.Mish()

    def forward(self, x):
        return self.act(self.lin(x)) + x


def graph_of(model, x):
    mg, _ = init_metadata_analysis_pass(MaseGraph(model), None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": x}})
    return mg


def test_quantized_mish_residual_retraced_is_fully_counted():
    x = torch.randn(3, 6)
    qmg, _ = quantize_transform_pass(graph_of(Residual(), x), {"by": "type", "default": {"config": INTEGER}})
    retraced = graph_of(qmg.model, x)
    ops = {n.name: n.meta["mase"]["common"]["mase_op"] for n in retraced.fx_graph.nodes}
    assert sorted(ops.values()) == ["add", "linear", "mish", "output", "placeholder"]
    _, result = flops_analysis_pass(retraced, {"per_sample": False, "silent": True})
    assert result["uncounted"] == []
    records = {r["op"]: r for r in result["nodes"].values()}
    assert records["mish"]["flops_forward"] == records["add"]["flops_forward"] == 18
    assert records["linear"]["macs_forward"] == 3 * 6 * 6

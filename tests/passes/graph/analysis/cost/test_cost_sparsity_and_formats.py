"""What changes the counts besides shapes: pruned weights (sparsity-aware MACs) and the number
formats a quantized graph records (BitOPs and memory)."""

from __future__ import annotations

import numpy as np
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.nn.utils import prune

from chop import MaseGraph
from chop.dataset.info import DatasetInfo
from chop.models import get_model
from chop.nn.quantizers import IntegerFormat
from chop.passes.graph import (
    add_common_metadata_analysis_pass,
    flops_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
)

JSC = DatasetInfo(name="jsc", input_shape=(16,), num_classes=5)


def graph_of(model, x):
    mg, _ = init_metadata_analysis_pass(MaseGraph(model), None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": (x,)})
    return mg


def batch_cost(mg):
    return flops_analysis_pass(mg, {"per_sample": False, "silent": True})[1]


def linear_record(result):
    (record,) = [r for r in result["nodes"].values() if r["op"] == "linear"]
    return record


def test_zeroed_half_of_the_weights_halves_sparsity_aware_macs():
    layer = nn.Linear(8, 4)
    with torch.no_grad():
        layer.weight[:, :4] = 0
    record = linear_record(batch_cost(graph_of(nn.Sequential(layer), torch.randn(3, 8))))
    assert record["macs_forward"] == 3 * 4 * 8 and record["macs_forward_sparse"] == 3 * 4 * 4
    assert record["sparsity"] == 0.5
    assert record["flops_forward_sparse"] == record["flops_forward"] - 2 * 48
    assert record["bitops_forward_sparse"] == record["bitops_forward"] / 2


def test_a_weight_mask_halves_sparsity_aware_macs():
    layer = nn.Linear(8, 4)
    prune.l1_unstructured(layer, "weight", amount=0.5)  # weight_orig + weight_mask buffer
    result = batch_cost(graph_of(nn.Sequential(layer), torch.randn(3, 8)))
    record = linear_record(result)
    assert record["macs_forward_sparse"] == record["macs_forward"] // 2 and record["sparsity"] == 0.5
    assert record["params"] == 8 * 4 + 4  # weight_orig and bias; the mask is a buffer
    assert result["total"]["sparsity"] == 0.5


def test_a_mask_attribute_on_dense_weights_is_applied():
    layer = nn.Linear(6, 2)
    mask = torch.ones(2, 6)
    mask[0] = 0
    layer.weight_mask = mask  # a plain attribute: the weight itself still holds nonzeros
    record = linear_record(batch_cost(graph_of(nn.Sequential(layer), torch.randn(5, 6))))
    assert record["macs_forward_sparse"] == 5 * 6 and record["macs_forward"] == 5 * 12


@settings(max_examples=20, deadline=None)
@given(data=st.data(), batch=st.integers(1, 4), out_channels=st.integers(1, 4))
def test_sparse_conv_macs_count_the_nonzero_weights_at_every_position(data, batch, out_channels):
    conv = nn.Conv2d(2, out_channels, 3, padding=1)
    keep = np.array(data.draw(st.lists(st.booleans(), min_size=conv.weight.numel(), max_size=conv.weight.numel())))
    with torch.no_grad():
        conv.weight.mul_(torch.tensor(keep, dtype=torch.float32).reshape(conv.weight.shape))
    record = [r for r in batch_cost(graph_of(nn.Sequential(conv), torch.randn(batch, 2, 5, 5)))["nodes"].values()
              if r["op"] == "conv2d"][0]
    positions = batch * 5 * 5  # each output position uses each nonzero weight of its channel once
    assert record["macs_forward_sparse"] == positions * int(np.count_nonzero(conv.weight.detach().numpy()))
    assert record["sparsity"] == 1 - np.count_nonzero(conv.weight.detach().numpy()) / conv.weight.numel()


def test_formats_in_metadata_change_bitops_and_memory():
    mg = graph_of(get_model("jsc-tiny", JSC), torch.randn(8, 16))
    before = linear_record(batch_cost(mg))
    args = mg.fx_graph.find_nodes(op="call_module", target="seq_blocks.2")[0].meta["mase"]["common"]["args"]
    args["data_in_0"]["format"] = IntegerFormat(width=8, frac_width=4).to_dict()
    args["weight"]["format"] = IntegerFormat(width=4, frac_width=2).to_dict()
    after = linear_record(batch_cost(mg))
    assert before["bitops_forward"] == before["macs_forward"] * 32 * 32
    assert after["bitops_forward"] == after["macs_forward"] * 8 * 4
    assert after["weight_memory_bits"] == 80 * 4 + 5 * 32  # the bias stays float32
    assert (after["flops_forward"], after["params"]) == (before["flops_forward"], before["params"])


def test_quantize_pass_output_is_costed_at_its_formats():
    mg = graph_of(get_model("jsc-tiny", JSC), torch.randn(8, 16))
    config = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4, "weight_width": 4,
              "weight_frac_width": 2, "bias_width": 8, "bias_frac_width": 4}
    qmg, _ = quantize_transform_pass(mg, {"by": "type", "default": {"config": {"name": None}},
                                          "linear": {"config": config}})
    dense, quantized = batch_cost(mg)["total"], batch_cost(qmg)["total"]
    linear_bitops = 8 * 80 * 32 * 32
    assert quantized["bitops_forward"] == dense["bitops_forward"] - linear_bitops + 8 * 80 * 8 * 4
    assert quantized["weight_memory_bits"] == dense["weight_memory_bits"] - 85 * 32 + 80 * 4 + 5 * 8

"""Per-op cost formulas, each checked against its stated definition on a small graph."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from chop import MaseGraph
from chop.ir.taxonomy import OPS, register_op
from chop.passes.graph import add_common_metadata_analysis_pass, flops_analysis_pass, init_metadata_analysis_pass
from chop.passes.graph.analysis.cost import COST_FORMULAS, OpCost, register_cost_formula


def batch_cost(model, *inputs, **trace):
    mg, _ = init_metadata_analysis_pass(MaseGraph(model, **trace), None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": inputs})
    return flops_analysis_pass(mg, {"per_sample": False, "silent": True})[1]


def only(result, op):
    (record,) = [r for r in result["nodes"].values() if r["op"] == op]
    return record


class FunctionalLinear(nn.Module):
    def __init__(self):
        super().__init__()
        self.w, self.b = nn.Parameter(torch.randn(6, 4)), nn.Parameter(torch.randn(6))

    def forward(self, x):
        return F.linear(x, self.w, self.b)


def test_functional_linear_counts_weights_at_get_attr_and_macs_at_the_call():
    result = batch_cost(FunctionalLinear(), torch.randn(3, 4))
    assert {n: r["params"] for n, r in result["nodes"].items() if r["mase_type"] == "get_attr"} == {"w": 24, "b": 6}
    record = only(result, "linear")
    assert (record["params"], record["macs_forward"], record["flops_forward"]) == (0, 3 * 6 * 4, 2 * 72 + 18)
    assert result["total"]["weight_memory_bits"] == 30 * 32
    assert result["nodes"]["w"]["activation_memory_bits"] == 0  # a parameter, not an activation


@pytest.mark.parametrize("affine,steps,backward_factor", [(True, 7, 2), (False, 5, 1)])
def test_layer_norm_five_steps_plus_affine(affine, steps, backward_factor):
    record = only(batch_cost(nn.Sequential(nn.LayerNorm(8, elementwise_affine=affine)), torch.randn(2, 3, 8)),
                  "layer_norm")
    assert record["flops_forward"] == steps * 48
    assert record["flops_backward"] == backward_factor * steps * 48


def test_functional_layer_norm_with_parameters_counts_its_affine_tensors():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.g, self.b = nn.Parameter(torch.ones(8)), nn.Parameter(torch.zeros(8))

        def forward(self, x):
            return F.layer_norm(x, (8,), self.g, self.b)

    record = only(batch_cost(Net(), torch.randn(5, 8)), "layer_norm")
    assert (record["flops_forward"], record["flops_backward"]) == (7 * 40, 2 * 7 * 40)


def test_softmax_add_mul_and_dropout():
    class Net(nn.Module):
        def forward(self, x, y):
            return F.dropout(torch.softmax(x * 3.0 + y, dim=-1), 0.5, training=False)

    result = batch_cost(Net(), torch.randn(4, 6), torch.randn(6))  # y broadcasts over rows
    assert only(result, "mul")["flops_forward"] == only(result, "add")["flops_forward"] == 24
    assert only(result, "softmax")["flops_forward"] == 3 * 24
    assert only(result, "dropout")["flops_forward"] == 0 and result["uncounted"] == []
    assert only(result, "add")["bitops_forward"] == 24 * 32


def test_embedding_is_a_lookup_forward_and_an_accumulation_backward():
    result = batch_cost(nn.Sequential(nn.Embedding(10, 4)), torch.tensor([[1, 2, 3], [4, 5, 6]]))
    record = only(result, "embedding")
    assert (record["params"], record["flops_forward"], record["flops_backward"]) == (40, 0, 2 * 3 * 4)
    assert record["bitops_backward"] == 24 * 32 and result["uncounted"] == []


def test_pooling_windows():
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.avg = nn.AvgPool1d(2)

        def forward(self, x):
            a = F.max_pool2d(x, 3, stride=1)
            b = F.adaptive_avg_pool2d(x, 2)
            return a.sum() + b.sum() + self.avg(x.flatten(2)).sum()

    result = batch_cost(Net(), torch.randn(2, 3, 6, 6))
    assert only(result, "max_pool2d")["flops_forward"] == 2 * 3 * 4 * 4 * (9 - 1)
    assert only(result, "adaptive_avg_pool2d")["flops_forward"] == 2 * 3 * 36
    assert only(result, "avg_pool1d")["flops_forward"] == 2 * 3 * 18 * 2


def test_pooling_kernel_known_only_at_run_time_is_uncounted():
    class Net(nn.Module):
        def forward(self, x):
            return F.max_pool2d(x, x.size(-1))

    result = batch_cost(Net(), torch.randn(1, 2, 4, 4))
    assert result["uncounted"] == ["max_pool2d"] and "kernel size" in result["reasons"]["max_pool2d"]


def test_attention_is_two_matmuls_and_a_softmax():
    class Net(nn.Module):
        def forward(self, q, k, v):
            return F.scaled_dot_product_attention(q, k, v)

    q, k, v = torch.randn(2, 3, 5, 8), torch.randn(2, 3, 7, 8), torch.randn(2, 3, 7, 4)
    record = only(batch_cost(Net(), q, k, v), "scaled_dot_product_attention")
    scores = 2 * 3 * 5 * 7
    assert record["macs_forward"] == scores * 8 + scores * 4
    assert record["flops_forward"] == 2 * record["macs_forward"] + 3 * scores
    with FlopCounterMode(display=False) as counter:
        Net()(q, k, v)
    assert counter.get_total_flops() == 2 * record["macs_forward"]


class Doubler(nn.Module):
    def forward(self, x):
        return x * 2


@pytest.fixture
def doubler_op():
    register_op(Doubler, "module_related_func", "doubler")
    yield
    OPS.pop(Doubler, None)
    COST_FORMULAS.unregister("doubler")


def test_a_users_op_gets_a_formula_by_registering_one(doubler_op):
    model = nn.Sequential(Doubler())
    assert batch_cost(model, torch.randn(3, 4), custom_leaf_modules=[Doubler])["uncounted"] == ["_0"]

    @register_cost_formula("doubler")
    def doubler_cost(view):
        return OpCost(flops=view.out_numel(), flops_backward=view.out_numel())

    result = batch_cost(model, torch.randn(3, 4), custom_leaf_modules=[Doubler])
    assert result["uncounted"] == [] and only(result, "doubler")["flops_forward"] == 12

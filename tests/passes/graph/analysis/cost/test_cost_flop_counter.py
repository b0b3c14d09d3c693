"""The contraction counts agree with PyTorch's own counter, `FlopCounterMode`.

FlopCounterMode counts matmul- and conv-type aten ops only (2 x MACs, no bias adds), so the
comparison uses models made of those ops without biases, where both count the same thing;
with a bias the pass adds exactly one FLOP per output element on top.
"""

from __future__ import annotations

import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from chop import MaseGraph
from chop.passes.graph import add_common_metadata_analysis_pass, flops_analysis_pass, init_metadata_analysis_pass


def batch_cost(model, *inputs):
    mg, _ = init_metadata_analysis_pass(MaseGraph(model), None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": inputs})
    return flops_analysis_pass(mg, {"per_sample": False, "silent": True})[1]


def torch_count(model, *inputs, backward=False):
    """(forward, backward) FLOPs FlopCounterMode sees."""
    with FlopCounterMode(display=False) as forward:
        out = model(*inputs)
    if not backward:
        return forward.get_total_flops(), 0
    with FlopCounterMode(display=False) as back:
        out.sum().backward()
    return forward.get_total_flops(), back.get_total_flops()


class ConvStack(nn.Module):
    def __init__(self, groups=1):
        super().__init__()
        self.c1 = nn.Conv1d(3, 8, 5, stride=2, padding=1, bias=False)
        self.c2 = nn.Conv2d(4, 6, (3, 2), groups=groups, bias=False)
        self.fc = nn.Linear(8 * 9, 7, bias=False)

    def forward(self, x, y):
        a = torch.relu(self.c1(x)).flatten(1)
        return self.fc(a).sum() + self.c2(y).sum()


def test_conv_linear_forward_and_backward_match_flop_counter():
    model = ConvStack()
    x, y = torch.randn(2, 3, 20, requires_grad=True), torch.randn(2, 4, 9, 7, requires_grad=True)
    result = batch_cost(model, x, y)
    forward, backward = torch_count(model, x, y, backward=True)
    contraction = [r for r in result["nodes"].values() if r["op"] in ("conv1d", "conv2d", "linear")]
    assert sum(r["flops_forward"] for r in contraction) == forward
    assert sum(r["flops_backward"] for r in contraction) == backward


def test_grouped_conv_forward_matches_flop_counter():
    """(FlopCounterMode's backward formula ignores groups for one gradient, so only forward.)"""
    model, y = nn.Conv2d(4, 6, (3, 2), groups=2, bias=False), torch.randn(2, 4, 9, 7)
    (record,) = [r for r in batch_cost(nn.Sequential(model), y)["nodes"].values() if r["op"] == "conv2d"]
    assert record["flops_forward"] == torch_count(model, y)[0]
    assert record["macs_forward"] == 2 * 6 * 7 * 6 * (4 // 2) * 3 * 2


class Attention(nn.Module):
    def forward(self, q, k, v):
        scores = torch.matmul(q, k.transpose(-1, -2))
        return torch.bmm(scores.flatten(0, 1), v.flatten(0, 1)) @ torch.ones(5, 3)


def test_matmul_and_bmm_match_flop_counter():
    q, k, v = torch.randn(2, 3, 4, 6), torch.randn(2, 3, 7, 6), torch.randn(2, 3, 7, 5)
    result = batch_cost(Attention(), q, k, v)
    contraction = [r for r in result["nodes"].values() if r["op"] in ("matmul", "bmm")]
    assert len(contraction) == 3
    assert sum(r["flops_forward"] for r in contraction) == torch_count(Attention(), q, k, v)[0]


def test_bias_adds_one_flop_per_output_on_top_of_flop_counter():
    model, x = nn.Sequential(nn.Linear(12, 9)), torch.randn(4, 12)
    (record,) = [r for r in batch_cost(model, x)["nodes"].values() if r["op"] == "linear"]
    assert record["flops_forward"] == torch_count(model, x)[0] + 4 * 9
    assert 2 * record["macs_forward"] == torch_count(model, x)[0]


@settings(max_examples=15, deadline=None)
@given(batch=st.integers(1, 4), c_in=st.integers(1, 4), c_out=st.integers(1, 5), kernel=st.integers(1, 3),
       stride=st.integers(1, 2), padding=st.integers(0, 1), size=st.integers(3, 8), width=st.integers(1, 6))
def test_random_conv_linear_shapes_match_flop_counter(batch, c_in, c_out, kernel, stride, padding, size, width):
    model = nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride, padding), nn.Flatten(),
                          nn.LazyLinear(width))
    x = torch.randn(batch, c_in, size, size)
    model(x)  # materialise the lazy linear
    result = batch_cost(model, x)
    macs = sum(r["macs_forward"] for r in result["nodes"].values())
    assert 2 * macs == torch_count(model, x)[0]

"""Masked layers compute with weight * mask; pruned weights get no gradient; masks are state."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from chop.ir.taxonomy import classify
from chop.passes.graph.transforms.prune.modules import (
    MaskedConv2d,
    MaskedLinear,
    effective_weight,
    float_class,
    is_prunable,
    masked,
)


def test_masked_linear_is_the_linear_of_the_masked_weight():
    torch.manual_seed(0)
    layer = nn.Linear(6, 4)
    reference = copy.deepcopy(layer)
    m = masked(layer)
    assert isinstance(m, MaskedLinear) and isinstance(m, nn.Linear) and m is layer
    keep = torch.rand(4, 6) > 0.5
    m.set_masks(keep, torch.tensor([True, False, True, True]))
    x = torch.randn(3, 6)
    expected = F.linear(x, reference.weight * keep, reference.bias * torch.tensor([1.0, 0, 1, 1]))
    torch.testing.assert_close(m(x), expected, rtol=0, atol=0)
    assert (m.weight[~keep] == 0).all() and m.bias[1] == 0  # stored values zeroed once
    m(x).sum().backward()
    assert (m.weight.grad[~keep] == 0).all() and (m.weight.grad[keep] != 0).any()
    assert set(m.state_dict()) == {"weight", "bias", "weight_mask", "bias_mask"}
    assert m.weight_mask.dtype == torch.bool and float_class(m) is nn.Linear


def test_masked_conv_and_helpers():
    torch.manual_seed(0)
    conv = nn.Conv2d(2, 3, 3, padding=1, bias=False)
    reference = copy.deepcopy(conv)
    m = masked(conv)
    keep = torch.rand(3, 2, 3, 3) > 0.3
    m.set_masks(keep)
    x = torch.randn(1, 2, 5, 5)
    torch.testing.assert_close(m(x), F.conv2d(x, reference.weight * keep, None, padding=1))
    assert isinstance(m, MaskedConv2d) and m.bias_mask is None
    assert torch.equal(effective_weight(m), reference.weight * keep)
    assert effective_weight(nn.ReLU()) is None
    assert is_prunable(m) and is_prunable(nn.Conv1d(1, 1, 1)) and not is_prunable(nn.BatchNorm1d(3))
    assert masked(m) is m  # already masked: unchanged


def test_masked_layers_keep_their_mase_op():
    gm = torch.fx.symbolic_trace(nn.Sequential(nn.Linear(2, 2)))
    node = next(n for n in gm.graph.nodes if n.op == "call_module")
    masked(gm.get_submodule(node.target))
    assert classify(node, dict(gm.named_modules())) == ("module_related_func", "linear")

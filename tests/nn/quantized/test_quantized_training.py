"""Quantization-aware training: straight-through gradients reach the float weights."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from quantized_reference import FORMATS, with_quantized_parameters
from torch import nn

from chop.nn.quantized import from_float

INTEGER, QUANTIZE = FORMATS["integer"]


def test_weight_gradient_is_the_float_gradient_at_the_quantized_point():
    torch.manual_seed(0)
    float_module = nn.Linear(6, 3)
    quantized = from_float(float_module, INTEGER)
    reference = with_quantized_parameters(float_module, QUANTIZE)
    x = torch.randn(8, 6)

    quantized(x).square().sum().backward()
    reference(QUANTIZE(x)).square().sum().backward()

    torch.testing.assert_close(quantized.weight.grad, reference.weight.grad)
    torch.testing.assert_close(quantized.bias.grad, reference.bias.grad)
    assert float_module.weight.grad is None  # the float module took no part


def test_saturated_weights_get_no_gradient():
    quantized = from_float(nn.Linear(4, 2), INTEGER)
    with torch.no_grad():
        quantized.weight[0, 0] = 100.0  # far above the largest 8/4 value, 7.9375
    quantized(torch.randn(5, 4)).sum().backward()
    assert quantized.weight.grad[0, 0] == 0
    assert (quantized.weight.grad[1] != 0).all()


def test_input_gradient_flows_through_quantized_layers():
    model = nn.Sequential(from_float(nn.BatchNorm1d(4), INTEGER), from_float(nn.ReLU(), INTEGER),
                          from_float(nn.Linear(4, 2), INTEGER))
    x = torch.randn(16, 4, requires_grad=True)
    model(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    assert model[0].weight.grad is not None and model[0].weight.grad.abs().sum() > 0


def test_sgd_steps_reduce_the_loss_of_a_linear_integer():
    torch.manual_seed(0)
    target = nn.Linear(8, 3)
    x = torch.randn(256, 8)
    with torch.no_grad():
        y = target(x)
    quantized = from_float(nn.Linear(8, 3), INTEGER)
    optimizer = torch.optim.SGD(quantized.parameters(), lr=0.1)
    losses = []
    for _ in range(40):
        optimizer.zero_grad()
        loss = F.mse_loss(quantized(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.1 * losses[0]

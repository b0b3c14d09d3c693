"""A quantized module's output equals its float op on explicitly quantized operands."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from quantized_reference import FORMATS, operand_quantizers, with_quantized_parameters
from torch import nn

from chop.nn.quantized import QUANTIZABLE, from_float
from chop.nn.quantizers import integer_quantizer


def randomized(module: nn.Module) -> nn.Module:
    """Give normalisation layers non-trivial affine parameters and running statistics."""
    with torch.no_grad():
        for name in ("weight", "bias"):
            value = getattr(module, name, None)
            if value is not None and not isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d)):
                value.copy_(torch.randn_like(value))
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.running_mean.copy_(torch.randn_like(module.running_mean))
            module.running_var.copy_(torch.rand_like(module.running_var) + 0.5)
    return module


#: (float module factory, input shape)
MODULES = {
    "linear": (lambda: nn.Linear(16, 5), (7, 16)),
    "conv1d": (lambda: nn.Conv1d(3, 4, 3, padding=1), (2, 3, 10)),
    "conv2d": (lambda: nn.Conv2d(3, 4, 3, stride=2, padding=1), (2, 3, 8, 8)),
    "batch_norm1d": (lambda: nn.BatchNorm1d(6), (9, 6)),
    "batch_norm2d": (lambda: nn.BatchNorm2d(3), (2, 3, 4, 4)),
    "layer_norm": (lambda: nn.LayerNorm(8), (5, 8)),
    "relu": (lambda: nn.ReLU(), (6, 10)),
    "gelu": (lambda: nn.GELU(), (6, 10)),
}


@pytest.mark.parametrize("format_name", sorted(FORMATS))
@pytest.mark.parametrize("op", sorted(MODULES))
@pytest.mark.parametrize("training", [False, True])
def test_output_equals_float_op_on_quantized_operands(op, format_name, training):
    torch.manual_seed(0)
    make, shape = MODULES[op]
    config, _ = FORMATS[format_name]
    float_module = randomized(make()).train(training)
    quantize_input, quantize_parameter = operand_quantizers(format_name, float_module)
    reference = with_quantized_parameters(float_module, quantize_parameter)
    quantized = from_float(float_module, config)
    x = torch.randn(shape) * 3

    out = quantized(x)
    expected = reference(quantize_input(x))

    torch.testing.assert_close(out, expected, rtol=0, atol=0)
    assert not torch.equal(out, float_module(x)), "quantization changed nothing: weak test"
    if isinstance(float_module, nn.modules.batchnorm._BatchNorm):
        # running statistics evolve exactly as in the float BatchNorm on the same input
        torch.testing.assert_close(quantized.running_mean, reference.running_mean, rtol=0, atol=0)
        torch.testing.assert_close(quantized.running_var, reference.running_var, rtol=0, atol=0)
        assert quantized.num_batches_tracked.item() == reference.num_batches_tracked.item()


@pytest.mark.parametrize("format_name", sorted(FORMATS))
def test_output_quantizer_applies_to_the_result(format_name):
    torch.manual_seed(1)
    config, quantize = FORMATS[format_name]
    out_config = {**config, **{k.replace("data_in", "data_out"): v
                               for k, v in config.items() if k.startswith("data_in_")}}
    float_module = nn.Linear(8, 6)
    quantized = from_float(float_module, out_config)
    x = torch.randn(4, 8)

    expected = quantize(with_quantized_parameters(float_module, quantize)(quantize(x)))
    torch.testing.assert_close(quantized(x), expected, rtol=0, atol=0)


def fixed_point_numpy(values: np.ndarray, width: int, frac: int) -> np.ndarray:
    """The seeds' definition: clamp(round_half_even(v * 2**f), -2**(w-1), 2**(w-1)-1) / 2**f."""
    scaled = np.round(values * 2.0**frac)  # numpy rounds half to even
    return np.clip(scaled, -(2 ** (width - 1)), 2 ** (width - 1) - 1) / 2.0**frac


@settings(max_examples=25, deadline=None)
@given(width=st.integers(2, 12), frac=st.integers(0, 8), seed=st.integers(0, 2**16))
def test_linear_integer_matches_numpy_definition(width, frac, seed):
    generator = np.random.default_rng(seed)
    x = generator.normal(scale=2.0, size=(5, 7))
    weight = generator.normal(size=(3, 7))
    bias = generator.normal(size=3)
    float_module = nn.Linear(7, 3, dtype=torch.float64)
    with torch.no_grad():
        float_module.weight.copy_(torch.from_numpy(weight))
        float_module.bias.copy_(torch.from_numpy(bias))
    config = {"name": "fixed"}
    for operand in ("data_in", "weight", "bias"):
        config.update({f"{operand}_width": width, f"{operand}_frac_width": frac})

    out = from_float(float_module, config)(torch.from_numpy(x)).detach().numpy()

    expected = (fixed_point_numpy(x, width, frac) @ fixed_point_numpy(weight, width, frac).T
                + fixed_point_numpy(bias, width, frac))
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_two_bit_weights_take_the_seed_values():
    """Seed 004: weight width 2, frac 2 gives values in {-0.5, -0.25, 0, 0.25}."""
    torch.manual_seed(2)
    config = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
              "weight_width": 2, "weight_frac_width": 2, "bias_width": 2, "bias_frac_width": 2}
    quantized = from_float(nn.Linear(16, 32), config)
    values = set(quantized.w_quantizer(quantized.weight).unique().tolist())
    assert values <= {-0.5, -0.25, 0.0, 0.25} and len(values) >= 3
    torch.testing.assert_close(quantized.w_quantizer(quantized.weight),
                               integer_quantizer(quantized.weight, 2, 2), rtol=0, atol=0)


#: Instances for table rows whose constructor needs arguments, with an input shape.
NEEDS_ARGUMENTS = {
    "Conv3d": (lambda: nn.Conv3d(2, 3, 2), (1, 2, 3, 3, 3)),
    "BatchNorm3d": (lambda: nn.BatchNorm3d(2), (2, 2, 2, 2, 2)),
    "GroupNorm": (lambda: nn.GroupNorm(2, 4), (3, 4, 5)),
    "RMSNorm": (lambda: nn.RMSNorm(6), (3, 6)),
    "PReLU": (lambda: nn.PReLU(4), (3, 4)),
    "Softmax": (lambda: nn.Softmax(dim=-1), (3, 6)),
    "LogSoftmax": (lambda: nn.LogSoftmax(dim=-1), (3, 6)),
}
COVERED = {type(make()).__name__ for make, _ in MODULES.values()}
TWO_INPUT = {"Add", "Sub", "Mul", "Div", "Matmul", "Bmm"}  # test_quantized_functions.py


@pytest.mark.parametrize("name", sorted(set(QUANTIZABLE.names()) - COVERED - TWO_INPUT))
def test_every_other_table_row_computes_its_float_op(name):
    torch.manual_seed(3)
    config, quantize = FORMATS["integer"]
    float_class = QUANTIZABLE.get(name).float_class
    make, shape = NEEDS_ARGUMENTS.get(name, (float_class, (4, 6)))
    float_module = randomized(make())
    x = torch.randn(shape) * 3
    expected = with_quantized_parameters(float_module, quantize)(quantize(x))
    torch.testing.assert_close(from_float(float_module, config)(x), expected, rtol=0, atol=0)

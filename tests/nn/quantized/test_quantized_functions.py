"""Quantized add/sub/mul/div/matmul/bmm: the same mechanism with two input operands."""

from __future__ import annotations

import operator

import pytest
import torch
from quantized_reference import FORMATS

from chop.errors import ConfigError
from chop.nn.quantized import Add, Matmul, function_module_class, quantized_function
from chop.nn.quantizers import integer_quantizer

#: target -> (input shapes, torch reference)
FUNCTIONS = {
    "add": (((4, 6), (4, 6)), torch.add),
    "sub": (((4, 6), (6,)), torch.sub),
    "mul": (((4, 6), (4, 6)), torch.mul),
    "matmul": (((3, 4, 8), (8, 5)), torch.matmul),
    "bmm": (((3, 4, 8), (3, 8, 5)), torch.bmm),
}


@pytest.mark.parametrize("format_name", sorted(FORMATS))
@pytest.mark.parametrize("target", sorted(FUNCTIONS))
def test_output_equals_function_on_quantized_inputs(target, format_name):
    torch.manual_seed(0)
    shapes, function = FUNCTIONS[target]
    config, quantize = FORMATS[format_name]
    a, b = (torch.randn(shape) * 3 for shape in shapes)
    module = quantized_function(target, config)
    out = module(a, b)
    b_reference = quantize(b)
    if getattr(module.quantizer("data_in_1"), "block_dims", None) == (-2,):
        # block formats share scales along the reduction: down b's columns in a @ b
        b_reference = quantize(b.transpose(-1, -2).contiguous()).transpose(-1, -2)
    torch.testing.assert_close(out, function(quantize(a), b_reference), rtol=0, atol=0)
    assert not torch.equal(out, function(a, b))


def test_per_input_overrides():
    config = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
              "data_in_1_width": 4, "data_in_1_frac_width": 1}
    add = quantized_function(torch.add, config)
    assert add.specs["data_in_0"].precision == [8, 4]
    assert add.specs["data_in_1"].precision == [4, 1]
    a, b = torch.randn(10) * 2, torch.randn(10) * 2
    expected = integer_quantizer(a, 8, 4) + integer_quantizer(b, 4, 1)
    torch.testing.assert_close(add(a, b), expected, rtol=0, atol=0)


def test_repr_shows_the_specs():
    config = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
              "data_out_width": 16, "data_out_frac_width": 8}
    add = quantized_function(operator.add, config)
    assert repr(add) == ("AddInteger(data_in_0=integer(8, 4), data_in_1=integer(8, 4), "
                         "data_out_0=integer(16, 8))")
    a, b = torch.randn(5), torch.randn(5)
    expected = integer_quantizer(integer_quantizer(a, 8, 4) + integer_quantizer(b, 8, 4), 16, 8)
    torch.testing.assert_close(add(a, b), expected, rtol=0, atol=0)


def test_node_targets_map_to_function_modules():
    assert function_module_class(operator.add) is Add
    assert function_module_class(torch.add) is Add
    assert function_module_class("add") is Add  # call_method name
    assert function_module_class(operator.matmul) is Matmul
    assert function_module_class(torch.relu) is None
    assert function_module_class([1]) is None  # unhashable: not a function


def test_unsupported_function_is_a_config_error():
    with pytest.raises(ConfigError, match="'cat' cannot be quantized"):
        quantized_function(torch.cat, FORMATS["integer"][0])


def test_python_number_operand_is_a_quantized_constant():
    config = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 2}
    mul = quantized_function(operator.mul, config)
    x = torch.tensor([1.0, 2.0], dtype=torch.float64)
    out = mul(x, 0.3)  # 0.3 -> 0.25 on a grid of quarters
    assert out.dtype == torch.float64
    assert out.tolist() == [0.25, 0.5]


def test_integer_tensors_pass_unchanged():
    add = quantized_function("add", {"name": "integer", "data_in_width": 2,
                                     "data_in_frac_width": 0})
    indices = torch.tensor([5, 7])
    assert add(indices, indices).tolist() == [10, 14]


def test_gradients_reach_both_inputs():
    add = quantized_function("matmul", FORMATS["integer"][0])
    a = torch.randn(3, 4, requires_grad=True)
    b = torch.randn(4, 2, requires_grad=True)
    add(a, b).sum().backward()
    assert a.grad is not None and b.grad is not None
    assert a.grad.abs().sum() > 0 and b.grad.abs().sum() > 0

"""Generated quantized classes: names, repr, isinstance, state_dict, device/dtype, no mutation."""

from __future__ import annotations

import pytest
import torch
from quantized_reference import FORMATS
from torch import nn

import chop.nn.quantized as quantized_package
from chop.errors import UnknownNameError
from chop.nn.quantized import (
    QuantizedModule,
    class_by_name,
    from_float,
    no_quantization,
    quantized_class,
)
from chop.nn.quantizers import IntegerFormat, integer_quantizer

INTEGER, _ = FORMATS["integer"]
MINIFLOAT, _ = FORMATS["minifloat_ieee"]


def test_linear_integer_prints_like_the_seeds():
    quantized = from_float(nn.Linear(16, 5), INTEGER)
    assert repr(quantized) == "LinearInteger(in_features=16, out_features=5, bias=True)"
    assert repr(from_float(nn.Linear(16, 5), MINIFLOAT)) == (
        "LinearMinifloatIEEE(in_features=16, out_features=5, bias=True)")


@pytest.mark.parametrize("module", [
    nn.Conv2d(3, 8, 3, stride=2, padding=1), nn.BatchNorm1d(16), nn.LayerNorm(8),
    nn.ReLU(inplace=True), nn.LeakyReLU(0.2), nn.Softmax(dim=-1),
])  # fmt: skip
def test_repr_is_the_float_repr_with_the_class_name_changed(module):
    quantized = from_float(module, INTEGER)
    float_name = type(module).__name__
    assert repr(quantized) == repr(module).replace(float_name, float_name + "Integer", 1)


@pytest.mark.parametrize(("format_name", "suffix"), [
    ("integer", "Integer"), ("fixed", "Integer"), ("minifloat_ieee", "MinifloatIEEE"),
    ("minifloat_denorm", "MinifloatDenorm"), ("log", "Log"), ("block_fp", "BlockFP"),
    ("binary", "Binary"), ("ternary", "Ternary"), ("mxint", "MXInt"), ("mxfp", "MXFP"),
])  # fmt: skip
def test_class_names_and_package_attributes(format_name, suffix):
    cls = quantized_class(nn.Linear, format_name)
    assert cls.__name__ == "Linear" + suffix
    assert issubclass(cls, nn.Linear) and issubclass(cls, QuantizedModule)
    assert cls is quantized_class(nn.Linear, format_name)  # built once
    assert getattr(quantized_package, "Linear" + suffix) is cls
    assert class_by_name("Conv2d" + suffix) is quantized_class(nn.Conv2d, format_name)


def test_fixed_alias_shares_the_integer_class():
    assert quantized_class(nn.ReLU, "fixed") is quantized_class(nn.ReLU, "integer")
    assert quantized_class(nn.ReLU, "fixed").format_name == "integer"


def test_unknown_class_names_are_not_attributes():
    with pytest.raises(AttributeError):
        quantized_package.LinearInteger8  # noqa: B018
    with pytest.raises(UnknownNameError, match="LinearInteger"):
        class_by_name("LinearIntegr")


def test_quantized_module_is_an_instance_of_its_float_class():
    quantized = from_float(nn.Linear(16, 5), INTEGER)
    assert isinstance(quantized, nn.Linear) and isinstance(quantized, QuantizedModule)
    assert type(quantized).float_class is nn.Linear


@pytest.mark.parametrize("make", [
    lambda: nn.Linear(16, 5), lambda: nn.Conv1d(2, 3, 3), lambda: nn.BatchNorm2d(4),
    lambda: nn.LayerNorm(6), lambda: nn.Linear(4, 4, bias=False), lambda: nn.ReLU(),
])  # fmt: skip
def test_state_dict_keys_equal_the_float_modules(make):
    float_module = make()
    quantized = from_float(float_module, INTEGER)
    assert list(quantized.state_dict()) == list(float_module.state_dict())


def test_float_checkpoints_load_both_ways():
    torch.manual_seed(0)
    trained, fresh = nn.BatchNorm1d(8), nn.BatchNorm1d(8)
    trained(torch.randn(32, 8) * 2 + 1)  # moves the running statistics
    quantized = from_float(fresh, INTEGER)
    quantized.load_state_dict(trained.state_dict())
    torch.testing.assert_close(quantized.running_mean, trained.running_mean)
    back = nn.BatchNorm1d(8)
    back.load_state_dict(quantized.state_dict())
    torch.testing.assert_close(back.running_var, trained.running_var)


def test_from_float_clones_and_does_not_mutate_the_float_module():
    float_module = nn.Linear(16, 5)
    before = {k: v.clone() for k, v in float_module.state_dict().items()}
    quantized = from_float(float_module, INTEGER)
    assert type(float_module) is nn.Linear and not hasattr(float_module, "specs")
    assert quantized.weight is not float_module.weight
    assert quantized.weight.data_ptr() != float_module.weight.data_ptr()
    with torch.no_grad():
        quantized.weight.add_(1.0)
    for key, value in float_module.state_dict().items():
        assert torch.equal(value, before[key])


def test_float64_module_stays_float64():
    float_module = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)).double()
    quantized = nn.Sequential(*(from_float(m, INTEGER) for m in float_module))
    assert all(p.dtype == torch.float64 for p in quantized.parameters())
    assert all(b.dtype == torch.float64 for b in quantized.buffers() if b.is_floating_point())
    out = quantized(torch.randn(5, 4, dtype=torch.float64))
    assert out.dtype == torch.float64


def test_device_is_kept():
    device = torch.device("meta")  # a device other than the default one, available on CPU
    quantized = from_float(nn.Linear(4, 3, device=device), INTEGER)
    assert quantized.weight.device == device and quantized.bias.device == device


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_module_stays_on_cuda_and_matches_cpu():
    float_module = nn.Linear(16, 5)
    x = torch.randn(8, 16)
    expected = from_float(float_module, INTEGER)(x)
    quantized = from_float(float_module.cuda(), INTEGER)
    assert quantized.weight.is_cuda
    torch.testing.assert_close(quantized(x.cuda()).cpu(), expected)


def test_quantizers_are_exposed_as_callables():
    quantized = from_float(nn.Linear(16, 5), INTEGER)
    weight = quantized.weight
    torch.testing.assert_close(quantized.w_quantizer(weight), integer_quantizer(weight, 8, 4),
                               rtol=0, atol=0)
    assert quantized.x_quantizer == IntegerFormat(8, 4)
    assert quantized.b_quantizer == IntegerFormat(8, 4)
    assert quantized.y_quantizer is no_quantization  # no data_out_* keys
    assert set(quantized.specs) == {"data_in_0", "weight", "bias"}
    assert quantized.q_config == INTEGER and quantized.q_config is not INTEGER


def test_activation_quantizes_only_its_input():
    relu = from_float(nn.ReLU(), {"name": "integer", "data_in_width": 8,
                                  "data_in_frac_width": 4})
    assert set(relu.specs) == {"data_in_0"}
    assert relu.w_quantizer is no_quantization and relu.b_quantizer is no_quantization
    x = torch.tensor([-1.0, 0.03, 0.5, 9.0])
    assert relu(x).tolist() == [0.0, 0.0, 0.5, 7.9375]  # 0.03 -> 0, 9 saturates at 127/16


def test_batch_norm_weight_is_the_affine_scale():
    config = {"name": "integer", "data_in_width": 16, "data_in_frac_width": 8,
              "weight_width": 4, "weight_frac_width": 1, "bias_width": 4, "bias_frac_width": 1}
    bn = nn.BatchNorm1d(2).eval()
    with torch.no_grad():
        bn.weight.copy_(torch.tensor([0.7, 1.3]))
        bn.bias.copy_(torch.tensor([0.2, -0.8]))
    out = from_float(bn, config)(torch.tensor([[1.0, 2.0]]))
    # running stats 0/1: y = q(gamma) * x / sqrt(1 + eps) + q(beta); q rounds to halves
    expected = torch.tensor([[0.5 * 1.0, 1.5 * 2.0]]) / (1 + bn.eps) ** 0.5 \
        + torch.tensor([0.0, -1.0])
    torch.testing.assert_close(out, expected)


def test_bias_free_and_affine_free_modules_need_no_parameter_keys():
    data_only = {"name": "integer", "data_in_width": 8, "data_in_frac_width": 4,
                 "weight_width": 8, "weight_frac_width": 4}
    linear = from_float(nn.Linear(4, 3, bias=False), data_only)
    assert set(linear.specs) == {"data_in_0", "weight"}
    bn = from_float(nn.BatchNorm1d(3, affine=False), {"name": "integer", "data_in_width": 8,
                                                      "data_in_frac_width": 4})
    assert set(bn.specs) == {"data_in_0"}
    assert bn(torch.randn(4, 3)).shape == (4, 3)


def test_requantizing_starts_from_the_float_class():
    first = from_float(nn.Linear(4, 3), INTEGER)
    second = from_float(first, MINIFLOAT)
    assert type(second).__name__ == "LinearMinifloatIEEE"
    assert type(second).__mro__[2] is nn.Linear
    assert type(first).__name__ == "LinearInteger"  # unchanged


def test_fx_keeps_quantized_modules_whole_when_they_are_leaves():
    from torch import fx

    class LeafTracer(fx.Tracer):
        def is_leaf_module(self, module, name):
            return isinstance(module, QuantizedModule) or super().is_leaf_module(module, name)

    model = nn.Sequential(from_float(nn.Linear(4, 3), INTEGER), from_float(nn.ReLU(), INTEGER))
    traced = fx.GraphModule(model, LeafTracer().trace(model))
    assert [n.op for n in traced.graph.nodes] == ["placeholder", "call_module", "call_module",
                                                  "output"]
    x = torch.randn(5, 4) * 4
    torch.testing.assert_close(traced(x), model(x), rtol=0, atol=0)
    with pytest.raises(TypeError, match="leaf"):  # never a silently unquantized trace
        fx.symbolic_trace(model)

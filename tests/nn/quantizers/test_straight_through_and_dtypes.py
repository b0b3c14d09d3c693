"""Shared behaviour of every format: straight-through gradients, dtype/device preservation,
no mutation of the input."""

import pytest
import torch

from chop.nn.quantizers import (
    BinaryFormat,
    BlockFPFormat,
    IntegerFormat,
    LogFormat,
    MinifloatDenormFormat,
    MinifloatIEEEFormat,
    MXFPFormat,
    MXIntFormat,
    TernaryFormat,
    integer_quantizer,
)

# Formats whose every value fits float16 and bfloat16 (at most 8 significant bits, small range).
HALF_SAFE = [
    IntegerFormat(8, 4),
    IntegerFormat(6, 2, is_signed=False, rounding="floor"),
    MinifloatIEEEFormat(8, 4),
    MinifloatDenormFormat(7, 3),
    LogFormat(5),
    BlockFPFormat(6, block_size=8),
    BinaryFormat(),
    MXIntFormat(8, 16),
    MXFPFormat(8, 4),
    MXFPFormat(4, 2),
]
CLIPPED = [s for s in HALF_SAFE if s.grad_range is not None]


def sample(shape=(4, 40), seed=0):
    gen = torch.Generator().manual_seed(seed)
    powers = torch.randint(-4, 5, shape, generator=gen)
    return torch.randn(shape, generator=gen) * torch.exp2(powers.float())


@pytest.mark.parametrize("spec", HALF_SAFE, ids=str)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float64])
def test_dtype_is_preserved_and_values_match_float32(spec, dtype):
    x = sample().to(dtype)
    out = spec.quantize(x)
    assert out.dtype == dtype and out.shape == x.shape
    reference = spec.quantize(x.to(torch.float32))
    assert torch.equal(out.to(torch.float32), reference)


@pytest.mark.parametrize("spec", CLIPPED, ids=str)
def test_gradient_is_one_inside_the_range_and_zero_outside(spec):
    lo, hi = spec.grad_range
    inside = torch.linspace(lo, hi, 101)[1:-1]
    outside = torch.tensor([lo - 1.0, hi + 1.0, 10 * hi + 10, 10 * lo - 10])
    x = torch.cat([inside, outside]).requires_grad_()
    spec.quantize(x).sum().backward()
    assert torch.equal(x.grad[:99], torch.ones(99))
    assert torch.equal(x.grad[99:], torch.zeros(4))


@pytest.mark.parametrize("spec", [s for s in CLIPPED if not isinstance(s, IntegerFormat)], ids=str)
def test_non_fixed_point_ranges_include_both_ends(spec):
    x = torch.tensor(spec.grad_range).requires_grad_()
    spec.quantize(x).sum().backward()
    assert x.grad.tolist() == [1.0, 1.0]


FIXED_POINT_ENDS = [IntegerFormat(4, 2), IntegerFormat(3, 0, is_signed=False),
                    IntegerFormat(5, -1), IntegerFormat(4, 2, rounding="floor")]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16, torch.float16])
@pytest.mark.parametrize("spec", FIXED_POINT_ENDS, ids=str)
def test_fixed_point_gradient_range_is_one_rule_in_every_dtype(spec, dtype):
    """Gradient where x rounds into the range: [min - step/2, max + step/2) for nearest-even,
    [min, max + step) for floor; the same points give the same gradient in every dtype
    (float32 and float64 run the fast path, the half dtypes the generic path)."""
    lo, hi = spec.grad_range
    nudge = spec.step / 8  # small values of few bits: exact in bfloat16 too
    if spec.rounding == "nearest_even":
        assert (lo, hi) == (spec.min_value - spec.step / 2, spec.max_value + spec.step / 2)
    else:
        assert (lo, hi) == (spec.min_value, spec.max_value + spec.step)
    points = [lo - nudge, lo, lo + nudge, hi - nudge, hi, hi + nudge]
    x = torch.tensor(points, dtype=dtype)
    assert x.double().tolist() == points
    x.requires_grad_()
    spec.quantize(x).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize("spec", [BlockFPFormat(4, block_size=4), MXIntFormat(), MXFPFormat(4, 2),
                                  TernaryFormat()], ids=str)
def test_unclipped_formats_pass_the_gradient_everywhere(spec):
    x = (sample() * 100).requires_grad_()
    upstream = torch.randn_like(x)
    (spec.quantize(x) * upstream).sum().backward()
    assert torch.equal(x.grad, upstream)


def test_upstream_gradient_is_scaled_not_replaced():
    x = torch.tensor([0.1, 0.2, 100.0], requires_grad=True)
    (integer_quantizer(x, 8, 4) * torch.tensor([2.0, -3.0, 5.0])).sum().backward()
    assert x.grad.tolist() == [2.0, -3.0, 0.0]


def test_no_graph_without_requires_grad_and_input_untouched():
    x = sample()
    before = x.clone()
    out = integer_quantizer(x, 4, 2)
    assert out.grad_fn is None and torch.equal(x, before)
    with torch.no_grad():
        assert integer_quantizer(x.requires_grad_(), 4, 2).grad_fn is None


def test_specs_are_callable_and_accept_python_numbers():
    spec = IntegerFormat(4, 2)
    assert spec(torch.tensor([0.3])).tolist() == [0.25]
    assert spec.quantize(0.3).item() == 0.25


def test_integer_tensors_are_rejected():
    with pytest.raises(TypeError, match="floating-point"):
        IntegerFormat(4, 2).quantize(torch.tensor([1, 2]))


def test_works_inside_autograd_through_a_linear_layer():
    layer = torch.nn.Linear(8, 3)
    with torch.no_grad():
        layer.weight.copy_(torch.linspace(-1.5, 1.5, 24).reshape(3, 8))
    x = torch.randn(5, 8, generator=torch.Generator().manual_seed(0))
    w = IntegerFormat(4, 3).quantize(layer.weight)  # range [-1, 0.875]
    torch.nn.functional.linear(x, w, layer.bias).sum().backward()
    inside = (layer.weight >= -1) & (layer.weight <= 0.875)
    assert 0 < inside.sum() < 24
    # (summation order differs between the matmul's backward and x.sum: compare with an atol)
    assert torch.allclose(layer.weight.grad, x.sum(0).expand(3, 8) * inside, atol=1e-6)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
@pytest.mark.parametrize("spec", HALF_SAFE + [TernaryFormat()], ids=str)
def test_cuda_matches_cpu(spec):
    x = sample((8, 64))
    out = spec.quantize(x.cuda())
    assert out.device.type == "cuda"
    assert torch.equal(out.cpu(), spec.quantize(x)) or isinstance(spec, TernaryFormat)
    if isinstance(spec, TernaryFormat):
        assert torch.allclose(out.cpu(), spec.quantize(x), rtol=1e-6)


@pytest.mark.parametrize("spec", HALF_SAFE + [TernaryFormat()], ids=str)
@pytest.mark.parametrize("shape", [(0,), (3, 0), ()])
def test_empty_and_scalar_tensors_keep_their_shape(spec, shape):
    x = torch.full(shape, 0.3) if shape == () else torch.empty(shape)
    out = spec.quantize(x)
    assert out.shape == x.shape and out.dtype == x.dtype
    if shape == ():
        assert out.item() == spec.quantize(torch.tensor([0.3])).item()


def test_in_place_op_after_quantizing_keeps_the_gradient():
    """ReLU(inplace=True) on a quantized tensor (the JSC models' ReLU under QAT)."""
    from chop.nn.quantizers import integer_quantizer

    x = torch.tensor([-1.3, -0.2, 0.2, 0.7, 9.0], requires_grad=True)
    y = torch.relu_(integer_quantizer(x, width=4, frac_width=1))
    y.sum().backward()
    assert y.tolist() == [0.0, 0.0, 0.0, 0.5, 3.5]
    # relu passes the gradient where its output is positive; the quantizer where x is in range
    assert x.grad.tolist() == [0.0, 0.0, 0.0, 1.0, 0.0]

"""The fixed-point fast path (float32/float64, round-half-even) equals the generic path bit for
bit, values and gradients, at every kind of point: ties at both ends, just inside and outside
the straight-through range, saturation, infinities, NaN, signed zeros, tiny values."""

import pytest
import torch

from chop.nn.quantizers import IntegerFormat, NumberFormat
from chop.nn.quantizers.fixed_fast import fast_bounds

SPECS = [IntegerFormat(1, 0), IntegerFormat(1, 3, is_signed=False), IntegerFormat(2, 2),
         IntegerFormat(4, 2, is_signed=False), IntegerFormat(8, 4), IntegerFormat(8, 20),
         IntegerFormat(5, -3), IntegerFormat(16, 9), IntegerFormat(23, 11),
         IntegerFormat(12, 60, is_signed=False), IntegerFormat(8, 126), IntegerFormat(3, -64)]  # fmt: skip
DTYPES = [torch.float32, torch.float64]


def probe_points(spec: IntegerFormat, dtype: torch.dtype) -> torch.Tensor:
    """Ties, the range's ends and their neighbours one ulp away, far values and specials."""
    step = spec.step
    ends = [(spec.int_min - 0.5) * step, (spec.int_max + 0.5) * step, spec.min_value,
            spec.max_value]
    ties = [(k + 0.5) * step for k in range(spec.int_min - 2, min(spec.int_max, spec.int_min + 6) + 2)]
    ties += [(k + 0.5) * step for k in range(max(spec.int_min, spec.int_max - 6) - 2, spec.int_max + 2)]
    points = torch.tensor(ends + ties, dtype=dtype)
    up = torch.nextafter(points, torch.full_like(points, float("inf")))
    down = torch.nextafter(points, torch.full_like(points, -float("inf")))
    g = torch.Generator().manual_seed(spec.width)
    noise = torch.randn(1000, generator=g, dtype=dtype) * spec.max_value * 1.5
    specials = torch.tensor([0.0, -0.0, 1e-40, -1e-40, 1e30, -1e30, float("inf"),
                             -float("inf"), float("nan")], dtype=dtype)
    return torch.cat([points, up, down, noise, specials * step])


def generic(spec: IntegerFormat, x: torch.Tensor) -> torch.Tensor:
    return NumberFormat.quantize(spec, x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("spec", SPECS, ids=str)
def test_fast_path_equals_the_generic_path_values_and_gradients(spec, dtype):
    assert fast_bounds(spec.int_min, spec.int_max, spec.frac_width, dtype) is not None
    x = probe_points(spec, dtype)
    fast_x, slow_x = x.clone().requires_grad_(), x.clone().requires_grad_()
    fast, slow = spec.quantize(fast_x), generic(spec, slow_x)
    assert type(fast.grad_fn).__name__ == "_FixedPointBackward"  # the fast path did run
    assert torch.equal(torch.isnan(fast), torch.isnan(x))
    keep = ~torch.isnan(x)
    assert torch.equal(fast[keep], slow[keep])
    assert torch.equal(fast[keep], spec._quantize(x[keep].clone()))  # the definition
    upstream = torch.randn(x.shape, dtype=dtype, generator=torch.Generator().manual_seed(1))
    (fast * upstream).nansum().backward()
    (slow * upstream).nansum().backward()
    assert torch.equal(fast_x.grad, slow_x.grad)


@pytest.mark.parametrize("dtype", DTYPES)
def test_gradient_is_zero_at_nan_wherever_it_sits(dtype):
    """NaN inputs get zero gradient in every layout (the fused backward's scalar tail and
    non-contiguous inputs included), as in the generic path."""
    spec = IntegerFormat(8, 4)
    base = torch.linspace(-3, 3, 37, dtype=dtype)
    base[[0, 17, 35, 36]] = float("nan")
    for x in (base, base.reshape(37, 1).expand(37, 3).t()):  # contiguous, then strided
        x = x.detach().clone() if x.is_contiguous() else x.detach()
        x.requires_grad_()
        spec.quantize(x).backward(torch.ones(x.shape, dtype=dtype))
        nan = torch.isnan(x.detach())
        assert torch.all(x.grad[nan] == 0) and torch.all(x.grad[~nan] == 1)


def test_wide_or_extreme_formats_fall_back_to_the_generic_path():
    """Where the ends (int +- 1/2) * step are not exact in the dtype (more than 23 bits in
    float32) the generic path runs."""
    for spec, dtype in [(IntegerFormat(31, 20), torch.float32), (IntegerFormat(24, 0), torch.float32),
                        (IntegerFormat(32, 3, is_signed=False), torch.float32)]:
        assert fast_bounds(spec.int_min, spec.int_max, spec.frac_width, dtype) is None
        x = (torch.randn(256, dtype=dtype) * spec.max_value).requires_grad_()
        out = spec.quantize(x)
        assert type(out.grad_fn).__name__ != "_FixedPointBackward"
        assert torch.equal(out, spec._quantize(x.detach().clone()))
    assert fast_bounds(-(2**30), 2**30 - 1, 20, torch.float64) is not None  # exact in float64


def test_no_graph_without_grad_and_the_input_is_left_alone():
    spec = IntegerFormat(4, 2)
    x = torch.randn(64, requires_grad=True)
    before = x.detach().clone()
    with torch.no_grad():
        assert spec.quantize(x).grad_fn is None
    out = spec.quantize(x)
    out.relu_()  # an in-place op after the quantizer keeps a correct gradient
    out.sum().backward()
    assert torch.equal(x.detach(), before)

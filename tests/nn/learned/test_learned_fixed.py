"""Learned fixed point against its definition: the forward pass is `IntegerFormat` at the rounded
widths (every dtype, NaN kept), and the gradients are the documented LSQ/HGQ ones."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from chop.errors import ConfigError
from chop.nn.learned import LearnedFixedPoint
from chop.nn.learned.fixed import MIN_LEARNED_WIDTH
from chop.nn.quantizers import IntegerFormat

LN2 = math.log(2.0)


def learner(width=6, frac=3, signed=True, learn_width=False, **kw):
    return LearnedFixedPoint(IntegerFormat(width, frac, signed), learn_width=learn_width, **kw)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.bfloat16])
@pytest.mark.parametrize("learn_width", [False, True])
def test_forward_is_the_frozen_integer_format(dtype, learn_width):
    q = learner(learn_width=learn_width)
    with torch.no_grad():
        q.frac.fill_(2.6)      # rounds to 3
        q.int_bits.fill_(1.4)  # rounds to 1: width 1 + 3 + 1 = 5 when learned
    spec = q.frozen()
    assert spec == (IntegerFormat(5, 3) if learn_width else IntegerFormat(6, 3))
    x = (torch.randn(1000, dtype=torch.float64) * 4).to(dtype).requires_grad_()
    assert torch.equal(q(x), spec(x.detach()))
    assert q(x).dtype == dtype


def test_nan_in_nan_out_and_no_nan_gradient():
    q = learner(learn_width=True)
    x = torch.tensor([0.3, float("nan"), 100.0, -0.2], requires_grad=True)
    out = q(x)
    assert torch.isnan(out[1]) and not torch.isnan(out[[0, 2, 3]]).any()
    out.nansum().backward()
    assert torch.isfinite(q.frac.grad) and torch.isfinite(q.int_bits.grad)


def reference_grads(x, g, spec: IntegerFormat, learn_width: bool):
    """The module docstring's gradients, written out element by element."""
    scaled = torch.round(x * 2.0**spec.frac_width)
    inside = (scaled >= spec.int_min) & (scaled <= spec.int_max)
    q = spec(x)
    grad_x = g * inside
    if learn_width:
        grad_frac = -LN2 * (g * (q - x))[inside].sum()
        grad_int = LN2 * (g * q)[~inside].sum()
    else:
        grad_frac = -LN2 * ((g * (q - x))[inside].sum() + (g * q)[~inside].sum())
        grad_int = torch.tensor(0.0)
    return grad_x, grad_frac, grad_int


@settings(max_examples=40, deadline=None)
@given(width=st.integers(2, 10), frac=st.integers(-3, 10), signed=st.booleans(),
       learn_width=st.booleans(), scale=st.floats(0.01, 100.0), seed=st.integers(0, 2**16))
def test_gradients_follow_the_definition(width, frac, signed, learn_width, scale, seed):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(257, generator=gen, dtype=torch.float64) * scale
    g = torch.randn(257, generator=gen, dtype=torch.float64)
    q = learner(width, frac, signed, learn_width)
    xr = x.clone().requires_grad_()
    (q(xr) * g).sum().backward()
    grad_x, grad_frac, grad_int = reference_grads(x, g, q.frozen(), learn_width)
    assert torch.equal(xr.grad, grad_x)
    assert float(q.frac.grad) == pytest.approx(float(grad_frac), rel=1e-5, abs=1e-6)
    if learn_width:
        assert float(q.int_bits.grad) == pytest.approx(float(grad_int), rel=1e-5, abs=1e-6)
    else:
        assert q.int_bits.grad is None  # not a trainable parameter with a fixed width


@pytest.mark.parametrize("seed", range(5))
def test_frac_gradient_is_lsq_with_a_power_of_two_step(seed):
    """Independently derived: autograd through q = s * clamp(STE-round(x / s), lo, hi) with the
    step s = 2**-f (LSQ, Esser et al.) gives the fixed-width frac gradient."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(300, generator=gen, dtype=torch.float64) * 3
    g = torch.randn(300, generator=gen, dtype=torch.float64)
    q = learner(5, 2)
    (q(x) * g).sum().backward()
    f = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    step = 2.0 ** (-f)
    v = x / step
    rounded = v + (torch.round(v) - v).detach()
    (torch.clamp(rounded, -16, 15) * step * g).sum().backward()
    assert float(q.frac.grad) == pytest.approx(float(f.grad), rel=1e-6)


def test_finer_step_is_wanted_where_rounding_hurts():
    """Minimising the squared quantization error pushes frac up (finer) when nothing clips, and
    int_bits up when values clip."""
    x = torch.linspace(-0.9, 0.9, 101)
    q = learner(8, 2, learn_width=True)
    (q(x) - x).square().sum().backward()
    assert q.frac.grad < 0  # gradient descent raises frac
    big = torch.linspace(-40, 40, 101)
    q = learner(6, 2, learn_width=True)  # range [-8, 7.75]
    (q(big) - big).square().sum().backward()
    assert q.int_bits.grad < 0  # gradient descent raises the integer bits


def test_width_stays_within_bounds_and_width_term_carries_gradient():
    q = learner(learn_width=True)
    with torch.no_grad():
        q.int_bits.fill_(-30.0)
    assert q.frozen().width == MIN_LEARNED_WIDTH
    assert not q.width_term().requires_grad  # at the bound the penalty no longer pulls
    with torch.no_grad():
        q.int_bits.fill_(2.2)
    term = q.width_term()
    assert float(term.detach()) == q.frozen().width == 2 + 3 + 1
    term.backward()
    assert float(q.frac.grad) == 1.0 and float(q.int_bits.grad) == 1.0


def test_dict_round_trip_keeps_the_real_widths():
    q = learner(learn_width=True, bitops_penalty=0.01, learned_lr=0.02)
    with torch.no_grad():
        q.frac.fill_(4.3)
        q.int_bits.fill_(0.7)
    again = LearnedFixedPoint.from_dict(q.to_dict())
    assert float(again.frac.detach()) == pytest.approx(4.3) and float(again.int_bits.detach()) == pytest.approx(0.7)
    assert again.frozen() == q.frozen() and again.bitops_penalty == 0.01 and again.learned_lr == 0.02
    with pytest.raises(ConfigError, match="malformed"):
        LearnedFixedPoint.from_dict({"name": "learned_integer"})


def test_starts_only_from_fixed_point():
    from chop.nn.quantizers import MinifloatIEEEFormat

    with pytest.raises(ConfigError, match="integer"):
        LearnedFixedPoint(MinifloatIEEEFormat(8, 4))


@pytest.mark.parametrize("learn_width", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_fast_path_equals_the_generic_path(learn_width, dtype):
    """The hot path (fixed_fast constants, dot products) gives the generic path's values and
    gradients, NaN included."""
    from chop.nn.learned.fixed import _bounds, _FastLearnedRound, _LearnedRound

    gen = torch.Generator().manual_seed(3)
    x = (torch.randn(4099, generator=gen, dtype=torch.float64) * 6).to(dtype)
    x[::97] = float("nan")
    x[3], x[4] = float("inf"), -float("inf")
    x[5] = 2.25  # a tie at the step 2**-2 (frac 2)
    g = torch.randn(4099, generator=gen, dtype=torch.float64).to(dtype)
    results = []
    for path in ("generic", "fast"):
        q = learner(5, 2, learn_width=learn_width)
        xr = x.clone().requires_grad_()
        spec = q.frozen()
        if path == "fast":
            out = _FastLearnedRound.apply(xr, q.frac, q.int_bits, _bounds(spec, dtype), learn_width)
        else:
            out = _LearnedRound.apply(xr, q.frac, q.int_bits, spec, learn_width)
        (out * g).nansum().backward()
        results.append((out.detach(), xr.grad, q.frac.grad, q.int_bits.grad))
    (out_a, gx_a, gf_a, gi_a), (out_b, gx_b, gf_b, gi_b) = results
    assert torch.allclose(out_a, out_b, equal_nan=True, rtol=0, atol=0)
    assert torch.equal(torch.nan_to_num(gx_a), torch.nan_to_num(gx_b))
    assert float(gf_a) == pytest.approx(float(gf_b), rel=1e-4)
    if learn_width:
        assert float(gi_a) == pytest.approx(float(gi_b), rel=1e-4)

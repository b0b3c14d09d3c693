"""Logarithmic format: zero and ±2**k, rounded in the log domain."""

from fractions import Fraction

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from chop.nn.quantizers import LogFormat, log_quantizer
from quantizer_reference import log_grid, round_log

spread = st.builds(lambda s, e, m: s * m * 2.0**e, st.sampled_from([-1.0, 1.0]),
                   st.integers(-40, 40), st.floats(1.0, 2.0, width=32))
values = spread | st.floats(-1e3, 1e3, width=32, allow_nan=False)
arrays = hnp.arrays(np.float32, st.integers(1, 48), elements=values)
formats = st.builds(lambda w, shift: LogFormat(w, 2 ** (w - 2) + shift),
                    st.integers(2, 7), st.integers(-3, 3))


@settings(max_examples=150, deadline=None)
@given(formats, arrays)
def test_matches_log_domain_rounding_and_lies_on_grid(spec, x):
    out = spec.quantize(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(out, round_log(x, spec.width, spec.exponent_bias))
    assert np.isin(out, log_grid(spec.width, spec.exponent_bias)).all()


@settings(max_examples=100, deadline=None)
@given(formats, arrays)
def test_idempotent_monotonic_symmetric(spec, x):
    xs = torch.from_numpy(np.sort(x))
    out = spec.quantize(xs)
    assert torch.equal(spec.quantize(out), out)
    assert torch.all(out[1:] >= out[:-1])
    assert torch.equal(spec.quantize(-xs), -out)


def test_default_range_and_rounding_by_ratio():
    spec = LogFormat(4)  # bias 4: codes 1..7 -> 2**-3 .. 2**3
    assert (spec.exponent_bias, spec.min_exponent, spec.max_exponent) == (4, -3, 3)
    sqrt2 = 2**0.5
    x = torch.tensor([1.41, 1.42, 2.8, 100.0, -100.0, 0.0, 0.125 / sqrt2 * 1.001,
                      0.125 / sqrt2 * 0.999, 0.09])
    assert log_quantizer(x, 4).tolist() == [1.0, 2.0, 2.0, 8.0, -8.0, 0.0, 0.125, 0.0, 0.125]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_float_just_below_and_above_sqrt2_round_apart(dtype):
    """The log-domain threshold sqrt(2) is irrational; the nearest floats fall either side."""
    nearest = torch.tensor(2**0.5, dtype=torch.float64).to(dtype)
    if Fraction(nearest.item()) ** 2 > 2:  # exact: is this float above sqrt(2)?
        below, above = torch.nextafter(nearest, torch.zeros_like(nearest)), nearest
    else:
        below, above = nearest, torch.nextafter(nearest, torch.full_like(nearest, 2.0))
    assert Fraction(below.item()) ** 2 < 2 < Fraction(above.item()) ** 2
    out = log_quantizer(torch.stack([below, above]), 4)
    assert out.tolist() == [1.0, 2.0]


def test_metadata_and_text():
    spec = LogFormat(5, 6)
    assert (spec.bits, spec.type, spec.precision, str(spec)) == (5, "log", [5, 6], "log(5, bias=6)")

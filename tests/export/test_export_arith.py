"""Fixed-point integer arithmetic against its definitions (exact rationals, the float quantizer)."""

from __future__ import annotations

from fractions import Fraction
import math

import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from chop.export import dequantize, requantize, rounding_right_shift, to_integers
from chop.nn.quantizers import IntegerFormat, integer_quantizer


def round_half_even(value: Fraction) -> int:
    """Python's round() on a Fraction rounds half to even: the definition."""
    return round(value)


@pytest.mark.parametrize("a, shift, expected", [
    (3, 1, 2), (5, 1, 2), (7, 1, 4), (-3, 1, -2), (-5, 1, -2), (-7, 1, -4),  # ties
    (6, 2, 2), (10, 2, 2), (-6, 2, -2), (-10, 2, -2), (2, 2, 0), (-2, 2, 0),  # ties at /4
    (7, 2, 2), (-7, 2, -2), (5, 2, 1), (-5, 2, -1), (9, 0, 9),
])
def test_ties_go_to_even(a, shift, expected):
    assert rounding_right_shift(torch.tensor([a]), shift).item() == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(-(2**40), 2**40), min_size=1, max_size=20), st.integers(0, 24))
def test_rounding_right_shift_is_round_half_even_of_the_quotient(values, shift):
    result = rounding_right_shift(torch.tensor(values, dtype=torch.int64), shift).tolist()
    assert result == [round_half_even(Fraction(v, 2**shift)) for v in values]
    floored = rounding_right_shift(torch.tensor(values, dtype=torch.int64), shift, "floor")
    assert floored.tolist() == [math.floor(Fraction(v, 2**shift)) for v in values]


def test_shift_arguments_are_checked():
    with pytest.raises(ValueError, match="shift >= 0"):
        rounding_right_shift(torch.tensor([1]), -1)
    with pytest.raises(ValueError, match="rounding"):
        rounding_right_shift(torch.tensor([1]), 1, "up")


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 16), st.integers(-4, 12), st.integers(-8, 20), st.booleans(),
       st.sampled_from(["nearest_even", "floor"]),
       st.lists(st.integers(-(2**30), 2**30), min_size=1, max_size=30))
def test_requantize_equals_the_float_quantizer(width, frac, frac_in, signed, rounding, values):
    """requantize(a, F, spec) are the integers of spec(a * 2^-F), computed exactly in float64."""
    assume(frac <= width + 8)  # the format's own limit
    spec = IntegerFormat(width, frac, signed, rounding)
    a = torch.tensor(values, dtype=torch.int64)
    expected = spec(a.to(torch.float64) * 2.0**-frac_in) * 2.0**frac
    assert torch.equal(requantize(a, frac_in, spec), expected.to(torch.int64))


def test_to_integers_and_dequantize_invert_the_quantizer():
    x = torch.randn(1000) * 10
    spec = IntegerFormat(8, 3)
    integers = to_integers(spec, x)
    assert integers.dtype == torch.int64
    assert integers.min() >= -128 and integers.max() <= 127 and (integers == -128).any()
    assert torch.equal(dequantize(integers, 3), integer_quantizer(x, 8, 3))

"""Exact widths, rounding and canonical signed digits of the hardware emitter."""

from hypothesis import given
from hypothesis import strategies as st
import torch

from chop.export.arith import rounding_right_shift
from chop.hardware.ranges import csd_digits, linear_range, shift_round, signed_width


@given(st.integers(-(2**20), 2**20))
def test_csd_digits_sum_to_the_value_with_no_adjacent_digits(value):
    digits = csd_digits(value)
    assert sum(sign << shift for sign, shift in digits) == value
    shifts = sorted(shift for _, shift in digits)
    assert all(b - a >= 2 for a, b in zip(shifts, shifts[1:]))
    # Never more digits than the plain binary form has ones.
    assert len(digits) <= bin(abs(value)).count("1")


def test_csd_of_seven_is_eight_minus_one():
    assert sorted(csd_digits(7)) == [(-1, 0), (1, 3)]


@given(st.integers(-5000, 5000), st.integers(0, 5000))
def test_signed_width_is_the_fewest_bits(low, span):
    high = low + span
    w = signed_width(low, high)
    assert -(2 ** (w - 1)) <= low and high < 2 ** (w - 1)
    if w > 1:
        assert not (-(2 ** (w - 2)) <= low and high < 2 ** (w - 2))


@given(st.integers(-10000, 10000), st.integers(-6, 6), st.sampled_from(["nearest_even", "floor"]))
def test_shift_round_matches_the_exporters_arithmetic(value, shift, rounding):
    if shift >= 0:
        expected = value << shift
    else:
        expected = int(rounding_right_shift(torch.tensor([value]), -shift, rounding)[0])
    assert shift_round(value, shift, rounding) == expected


def test_linear_range_takes_each_term_at_its_own_extreme():
    assert linear_range({0: 3, 1: -2}, [(-4, 3), (0, 5)], constant=1) == (1 - 12 - 10, 1 + 9)

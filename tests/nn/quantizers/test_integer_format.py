"""Fixed point against its definition: clamp(round(x * 2**f), lo, hi) / 2**f."""

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from chop.nn.quantizers import IntegerFormat, integer_quantizer
from quantizer_reference import floor_to_grid, integer_grid, round_to_grid

floats32 = st.floats(-300, 300, width=32, allow_nan=False, allow_infinity=False)
arrays = hnp.arrays(np.float32, st.integers(1, 64), elements=floats32)
formats = st.builds(
    lambda w, f_off, signed, rounding: IntegerFormat(w, min(w + 8, f_off), signed, rounding),
    st.integers(1, 12), st.integers(-4, 20), st.booleans(),
    st.sampled_from(["nearest_even", "floor"]),
)


def q(values, *args, **kwargs):
    return integer_quantizer(torch.tensor(values, dtype=torch.float32), *args, **kwargs).tolist()


def test_two_bit_grid_of_seed_001():
    """w=2, f=2 has exactly the values {-0.5, -0.25, 0, 0.25}."""
    dense = torch.linspace(-3, 3, 10001)
    assert sorted(set(integer_quantizer(dense, 2, 2).tolist())) == [-0.5, -0.25, 0.0, 0.25]


def test_seed_weights_quantize_as_reported():
    """Weights and their 2-bit values printed in seeds 001 and 004."""
    weights = [-0.0499, 0.1747, -0.1870, -0.2675, -0.0879, 0.0377, 0.1829, -0.5085, 0.1840,
               -0.1422, -0.1315, 0.3600, 0.0685]
    expected = [0.0, 0.25, -0.25, -0.25, 0.0, 0.0, 0.25, -0.5, 0.25, -0.25, -0.25, 0.25, 0.0]
    assert q(weights, 2, 2) == expected


def test_ties_round_half_to_even():
    assert q([0.125, 0.375, 0.625, -0.125, -0.375, 0.875], 4, 2) == [0.0, 0.5, 0.5, 0.0, -0.5, 1.0]


def test_floor_rounds_down():
    assert q([0.3, -0.1, 0.49, -0.5], 4, 2, rounding="floor") == [0.25, -0.25, 0.25, -0.5]


def test_signed_saturation_and_end_points():
    spec = IntegerFormat(8, 4)
    assert (spec.min_value, spec.max_value) == (-8.0, 127 / 16)
    out = q([100.0, -100.0, float("inf"), float("-inf"), 127 / 16, -8.0], 8, 4)
    assert out == [127 / 16, -8.0, 127 / 16, -8.0, 127 / 16, -8.0]


def test_unsigned_clamps_to_zero_and_top():
    spec = IntegerFormat(3, 1, is_signed=False)
    assert (spec.min_value, spec.max_value) == (0.0, 3.5)
    assert q([-1.0, 10.0, 1.25, 1.75], 3, 1, is_signed=False) == [0.0, 3.5, 1.0, 2.0]


def test_negative_frac_width_scales_up():
    assert q([5.0, 6.0, 100.0, -100.0], 4, -2) == [4.0, 8.0, 28.0, -32.0]


@settings(max_examples=150, deadline=None)
@given(formats, arrays)
def test_matches_reference_rounding_on_enumerated_grid(spec, x):
    grid = integer_grid(spec.width, spec.frac_width, spec.is_signed)
    reference = round_to_grid if spec.rounding == "nearest_even" else floor_to_grid
    out = spec.quantize(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(out, reference(x, grid).astype(np.float32))


@settings(max_examples=100, deadline=None)
@given(formats, arrays)
def test_idempotent_and_monotonic(spec, x):
    xs = torch.from_numpy(np.sort(x))
    out = spec.quantize(xs)
    assert torch.equal(spec.quantize(out), out)
    assert torch.all(out[1:] >= out[:-1])


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 12), st.integers(-4, 10), arrays)
def test_nearest_even_is_sign_symmetric_inside_the_range(width, frac_width, x):
    spec = IntegerFormat(width, frac_width)
    inside = torch.from_numpy(x).clamp(-spec.max_value, spec.max_value)
    assert torch.equal(spec.quantize(-inside), -spec.quantize(inside))


def test_all_ties_of_a_small_grid_go_to_the_even_code():
    grid = integer_grid(5, 3)
    midpoints = (grid[1:] + grid[:-1]) / 2
    out = integer_quantizer(torch.tensor(midpoints, dtype=torch.float32), 5, 3).numpy()
    codes = np.round(out * 8).astype(int)
    assert np.all(codes % 2 == 0)


def test_metadata_and_text():
    spec = IntegerFormat(8, 4)
    assert (spec.bits, spec.type, spec.precision) == (8, "fixed", [8, 4])
    assert str(spec) == "integer(8, 4)"
    assert str(IntegerFormat(4, 2, False, "floor")) == "integer(4, 2, unsigned, floor)"


@pytest.mark.parametrize("width", [1, 16, 24])
def test_width_extremes_hit_their_end_points(width):
    spec = IntegerFormat(width, 0)
    out = spec.quantize(torch.tensor([1e9, -1e9]))
    assert out.tolist() == [2 ** (width - 1) - 1, -(2 ** (width - 1))]


@pytest.mark.parametrize("width,frac,signed", [(2, 2, True), (8, 4, True), (8, 0, False), (16, 9, True), (31, 20, True), (4, -2, True)])
def test_fast_float32_path_equals_the_definition(width, frac, signed):
    """float32 takes the fast path (fixed_fast.py) where exact: same values as the formula, ties
    included; widths past its reach (31 bits) take the generic path."""
    spec = IntegerFormat(width, frac, is_signed=signed)
    step = 2.0**-frac
    g = torch.Generator().manual_seed(width)
    x = torch.cat([torch.randn(4096, generator=g) * spec.max_value,
                   (torch.arange(-40, 40) + 0.5) * step,  # exact ties
                   torch.tensor([spec.min_value, spec.max_value, 2 * spec.max_value, -2 * spec.max_value - 1])])
    assert torch.equal(spec.quantize(x), spec._quantize(x.clone()))
    x = x.requires_grad_()
    spec.quantize(x).sum().backward()
    inside = (x >= spec.min_value) & (x <= spec.max_value)
    far = (x < spec.min_value - step) | (x > spec.max_value + step)
    assert torch.all(x.grad[inside] == 1) and torch.all(x.grad[far] == 0)


def test_floor_of_a_tiny_negative_value_whose_scaled_form_underflows():
    """-1e-45 * 2**-1 underflows to -0 in float32, but floor(-5e-46) is -1: the grid point -2."""
    spec = IntegerFormat(width=2, frac_width=-1, is_signed=True, rounding="floor")
    for dtype in (torch.float32, torch.float64):
        x = torch.tensor([-1e-45, -4.9e-324 if dtype == torch.float64 else -1e-45, 1e-45], dtype=dtype)
        assert spec.quantize(x).tolist() == [-2.0, -2.0, 0.0]

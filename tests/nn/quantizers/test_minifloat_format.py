"""Minifloats against grids decoded code by code from their definitions."""

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from chop.nn.quantizers import (
    MinifloatDenormFormat,
    MinifloatIEEEFormat,
    minifloat_denorm_quantizer,
    minifloat_ieee_quantizer,
)
from quantizer_reference import minifloat_denorm_grid, minifloat_ieee_grid, round_to_grid


def _formats(cls, min_mantissa):
    def build(width, exponent_width, bias_shift):
        exponent_width = min(exponent_width, width - 1 - min_mantissa)
        return cls(width, exponent_width, 2 ** (exponent_width - 1) - 1 + bias_shift)

    return st.builds(build, st.integers(2 + min_mantissa, 9), st.integers(1, 5),
                     st.integers(-3, 3))


FORMATS = {
    "ieee": (_formats(MinifloatIEEEFormat, 0), minifloat_ieee_grid),
    "denorm": (_formats(MinifloatDenormFormat, 1), minifloat_denorm_grid),
}
magnitudes = st.floats(-2.0**-20, 2.0**20, width=32, allow_nan=False, allow_infinity=False)
# Values spread over many binades: sign * 2**e * mantissa.
spread = st.builds(lambda s, e, m: s * m * 2.0**e, st.sampled_from([-1.0, 1.0]),
                   st.integers(-24, 24), st.floats(1.0, 2.0, width=32))
arrays = hnp.arrays(np.float32, st.integers(1, 48), elements=spread | magnitudes)


def grid_of(kind, spec):
    return FORMATS[kind][1](spec.width, spec.exponent_width, spec.exponent_bias)


@pytest.mark.parametrize("kind", FORMATS)
@settings(max_examples=120, deadline=None)
@given(data=st.data())
def test_matches_nearest_value_on_decoded_grid(kind, data):
    spec = data.draw(FORMATS[kind][0])
    x = data.draw(arrays)
    out = spec.quantize(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(out, round_to_grid(x, grid_of(kind, spec)).astype(np.float32))


@pytest.mark.parametrize("kind", FORMATS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_grid_value_and_every_midpoint(kind, data):
    """Grid values are fixed points; each midpoint between neighbours is a tie to even."""
    spec = data.draw(FORMATS[kind][0])
    grid = grid_of(kind, spec)
    midpoints = (grid[1:] + grid[:-1]) / 2
    out = spec.quantize(torch.tensor(grid, dtype=torch.float64)).numpy()
    np.testing.assert_array_equal(out, grid)
    out = spec.quantize(torch.tensor(midpoints, dtype=torch.float64)).numpy()
    np.testing.assert_array_equal(out, round_to_grid(midpoints, grid))


@pytest.mark.parametrize("kind", FORMATS)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_idempotent_monotonic_symmetric(kind, data):
    spec = data.draw(FORMATS[kind][0])
    x = torch.from_numpy(np.sort(data.draw(arrays)))
    out = spec.quantize(x)
    assert torch.equal(spec.quantize(out), out)
    assert torch.all(out[1:] >= out[:-1])
    assert torch.equal(spec.quantize(-x), -out)


def test_ieee_end_points_and_defaults():
    spec = MinifloatIEEEFormat(8, 4)
    assert spec.exponent_bias == 7 and spec.mantissa_width == 3
    assert spec.max_value == 480.0 == minifloat_ieee_grid(8, 4, 7).max()
    smallest = 2.0**-9  # subnormal: 1/8 * 2**(1 - 7)
    x = torch.tensor([1e6, -float("inf"), smallest, smallest / 2, 0.75 * smallest,
                      3 * smallest / 2])
    assert spec.quantize(x).tolist() == [480.0, -480.0, smallest, 0.0, smallest, 2 * smallest]


def test_ieee_half_precision_shape_matches_torch_float16_inside_its_range():
    """e=5, m=10, bias=15 is float16's grid (float16 keeps its top exponent for inf/NaN, so
    compare only below float16's max)."""
    x = torch.randn(4096) * torch.exp2(torch.randint(-26, 16, (4096,)).float())
    x = x.clamp(-65504, 65504)
    out = minifloat_ieee_quantizer(x, 16, 5, 15)
    assert torch.equal(out, x.to(torch.float16).to(torch.float32))


def test_ieee_e8m7_matches_torch_bfloat16_and_saturates_at_its_max():
    x = torch.randn(4096) * torch.exp2(torch.randint(-140, 128, (4096,)).float())
    x = x[torch.isfinite(x)]
    bf16_max = torch.finfo(torch.bfloat16).max
    inside = x.clamp(-bf16_max, bf16_max)
    out = minifloat_ieee_quantizer(inside, 16, 8)
    assert torch.equal(out, inside.to(torch.bfloat16).to(torch.float32))
    assert MinifloatIEEEFormat(16, 8).max_value == bf16_max
    beyond = torch.tensor([torch.finfo(torch.float32).max, float("inf")])
    assert minifloat_ieee_quantizer(beyond, 16, 8).tolist() == [bf16_max, bf16_max]


def test_denorm_has_no_implicit_one():
    spec = MinifloatDenormFormat(4, 2)  # m=1, bias=1: values k/2 * 2**(c-1)
    assert sorted(set(minifloat_denorm_grid(4, 2, 1).tolist()) - {0.0}) == sorted(
        {-2.0, -1.0, -0.5, -0.25, 0.25, 0.5, 1.0, 2.0})
    assert spec.max_value == 2.0
    out = minifloat_denorm_quantizer(torch.tensor([3.0, 0.3, 0.1, 0.125, 1.5]), 4, 2)
    assert out.tolist() == [2.0, 0.25, 0.0, 0.0, 2.0]


def test_metadata_and_text():
    spec = MinifloatIEEEFormat(8, 4)
    assert (spec.bits, spec.type, spec.precision) == (8, "minifloat_ieee", [8, 4, 7])
    assert str(spec) == "minifloat_ieee(8, e=4, bias=7)"
    denorm = MinifloatDenormFormat(6, 3, 2)
    assert (denorm.type, denorm.precision) == ("minifloat_denorm", [6, 3, 2])

"""Minifloat and OCP MX element formats against ml_dtypes' casts (float8_e4m3fn, float8_e5m2,
float6_e2m3fn, float6_e3m2fn, float4_e2m1fn): every representable value, every tie between
neighbours and the floats just beside each tie, plus random values over the whole range.

Where ml_dtypes overflows (to NaN in e4m3fn, to inf in e5m2) the MX spec clamps to the element's
largest magnitude, so the MX reference is the cast of the clipped input. machop's minifloat_ieee
has no inf/NaN codes (its top exponent is finite), so it is compared below the point where the
two grids part.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest
import torch

from chop.nn.quantizers import MinifloatIEEEFormat, MXFPFormat


#: (ml_dtypes type, MX (width, exponent_width), minifloat_ieee spec, |x| below which the
#: minifloat grid equals the type's finite grid (None: equal everywhere, saturation included))
TYPES = {
    "float8_e4m3fn": (ml_dtypes.float8_e4m3fn, (8, 4), MinifloatIEEEFormat(8, 4), 464.0),
    "float8_e5m2": (ml_dtypes.float8_e5m2, (8, 5), MinifloatIEEEFormat(8, 5), 61440.0),
    "float6_e2m3fn": (ml_dtypes.float6_e2m3fn, (6, 2), MinifloatIEEEFormat(6, 2), None),
    "float6_e3m2fn": (ml_dtypes.float6_e3m2fn, (6, 3), MinifloatIEEEFormat(6, 3), None),
    "float4_e2m1fn": (ml_dtypes.float4_e2m1fn, (4, 2), MinifloatIEEEFormat(4, 2), None),
}


def finite_values(dtype) -> np.ndarray:
    """Every finite value of `dtype`, ascending (decoded by casting a dense float32 sweep)."""
    top = float(ml_dtypes.finfo(dtype).max)
    sweep = np.concatenate([np.linspace(-top, top, 200_001, dtype=np.float32),
                            np.float32(2.0) ** np.arange(-30, 20, dtype=np.float32)])
    values = sweep.astype(dtype).astype(np.float32)
    return np.unique(values[np.isfinite(values)])


def probes(dtype, seed: int = 0) -> np.ndarray:
    """Grid values, midpoints (ties), the float32s next to each midpoint, values beyond the
    range, tiny values below the smallest subnormal, and random values of both signs."""
    grid = finite_values(dtype)
    mids = ((grid[:-1].astype(np.float64) + grid[1:]) / 2).astype(np.float32)
    near = np.concatenate([np.nextafter(mids, np.float32(np.inf)), np.nextafter(mids, np.float32(-np.inf))])
    top = grid.max()
    rng = np.random.default_rng(seed)
    random = (rng.standard_normal(20_000) * 2.0 ** rng.integers(-12, 12, 20_000)).astype(np.float32)
    beyond = np.array([top * 1.01, top * 1.5, top * 4, 1e30, 2.0**-40, 0.0], dtype=np.float32)
    x = np.concatenate([grid, mids, near, random, beyond, -beyond])
    return x[np.abs(x) <= top * 8]


def cast_saturating(x: np.ndarray, dtype) -> np.ndarray:
    top = float(ml_dtypes.finfo(dtype).max)
    return np.clip(x, -top, top).astype(dtype).astype(np.float32)


@pytest.mark.parametrize("name", sorted(TYPES))
def test_mx_elements_equal_the_saturating_cast(name):
    """Blocks of two whose first element 2**emax fixes the scale at 2**0, so the second element
    is rounded on the element grid itself (saturating at the element maximum)."""
    dtype, (width, exponent_width), _, _ = TYPES[name]
    spec = MXFPFormat(width, exponent_width, block_size=2)
    emax = spec.element.emax
    x = probes(dtype)
    x = x[np.abs(x) < 2.0 ** (emax + 1)]  # keep the block's scale at 2**0
    pairs = np.stack([np.full_like(x, 2.0**emax), x], axis=1)
    out = spec(torch.from_numpy(pairs)).numpy()[:, 1]
    np.testing.assert_array_equal(out, cast_saturating(x, dtype))
    assert spec.element.max_value == float(ml_dtypes.finfo(dtype).max)


@pytest.mark.parametrize("name", sorted(TYPES))
def test_minifloat_ieee_equals_the_cast(name):
    dtype, _, spec, parting = TYPES[name]
    x = probes(dtype, seed=1)
    if parting is not None:
        x = x[np.abs(x) < parting]
    out = spec(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(out, cast_saturating(x, dtype))


@pytest.mark.parametrize("name", ["float8_e4m3fn", "float8_e5m2"])
def test_nan_is_nan_as_in_the_types_with_a_nan(name):
    dtype, (width, exponent_width), spec, _ = TYPES[name]
    x = np.array([np.nan, 1.0, np.nan, -0.5], dtype=np.float32)
    reference = x.astype(dtype).astype(np.float32)
    np.testing.assert_array_equal(spec(torch.from_numpy(x)).numpy(), reference)
    mx = MXFPFormat(width, exponent_width, block_size=4)(torch.from_numpy(x)).numpy()
    np.testing.assert_array_equal(np.isnan(mx), np.isnan(reference))

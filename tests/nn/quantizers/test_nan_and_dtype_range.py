"""NaN in gives NaN out in every format and dtype, touching nothing else; a finite input never
becomes inf in a narrow dtype."""

import math

import pytest
import torch

from chop.nn.quantizers import (
    BinaryFormat,
    BlockFPFormat,
    BlockLogFormat,
    BlockMinifloatFormat,
    IntegerFormat,
    LogFormat,
    MinifloatDenormFormat,
    MinifloatIEEEFormat,
    MXFPFormat,
    MXIntFormat,
    TernaryFormat,
)

NAN = float("nan")
EVERY_FORMAT = [
    IntegerFormat(8, 4), IntegerFormat(6, 2, is_signed=False, rounding="floor"),
    MinifloatIEEEFormat(8, 4), MinifloatDenormFormat(7, 3), LogFormat(5), BinaryFormat(),
    TernaryFormat(), BlockFPFormat(6, block_size=4), MXIntFormat(8, 4), MXFPFormat(4, 2, 4),
    BlockMinifloatFormat(6, 3, block_size=4), BlockLogFormat(4, block_size=4),
]  # fmt: skip
DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("spec", EVERY_FORMAT, ids=str)
def test_nan_stays_nan_and_leaves_the_other_values_alone(spec, dtype):
    x = torch.tensor([[0.3, -1.7, 2.5, 0.05], [1.25, -0.4, 0.75, 3.0]], dtype=dtype)
    with_nan = x.clone()
    with_nan[0, 1] = NAN
    clean, dirty = spec(x), spec(with_nan)
    assert torch.isnan(dirty[0, 1])
    keep = ~torch.isnan(with_nan)
    if isinstance(spec, TernaryFormat):  # its threshold and scale are tensor-wide statistics
        reference = spec(x[keep])
        assert torch.equal(dirty[keep], reference)
    elif spec.name in ("block_fp", "mxint", "mxfp", "block_minifloat", "block_log"):
        # the NaN's block keeps the scale of its other elements; the other block is unchanged
        alone = x.clone()
        alone[0, 1] = 0.0
        assert torch.equal(dirty[keep], spec(alone)[keep])
        assert torch.equal(dirty[1], clean[1])
    else:
        assert torch.equal(dirty[keep], clean[keep])


@pytest.mark.parametrize("spec", [s for s in EVERY_FORMAT if s.name in
                                  ("block_fp", "mxint", "mxfp", "block_minifloat", "block_log")], ids=str)
def test_a_nan_only_block_does_not_poison_its_neighbours(spec):
    x = torch.tensor([NAN] * 4 + [0.3, -1.7, 2.5, 0.05] + [NAN] * 4)
    out = spec(x)
    assert torch.isnan(out[:4]).all() and torch.isnan(out[8:]).all()
    assert torch.equal(out[4:8], spec(x[4:8]))


@pytest.mark.parametrize("dtype", DTYPES)
def test_fixed_point_nan_in_the_fast_path_and_with_gradients(dtype):
    x = torch.tensor([NAN, 1.0, -100.0, NAN], dtype=dtype, requires_grad=True)
    out = IntegerFormat(8, 4)(x)
    assert torch.isnan(out[[0, 3]]).all()
    assert out[1:3].tolist() == [1.0, -8.0]
    out.nansum().backward()
    assert x.grad[1:].tolist() == [1.0, 0.0, 0.0]


def test_minifloat_saturates_at_the_largest_value_float16_holds():
    """minifloat_ieee 8/5 (bias 15) reaches 114688 > 65504: in float16 it saturates at its
    largest value below 65504, 57344 = 1.75 * 2**15, never inf."""
    spec = MinifloatIEEEFormat(8, 5)
    x = torch.tensor([65504.0, -65504.0, 60000.0, math.inf, 40000.0], dtype=torch.float16)
    assert spec(x).tolist() == [57344.0, -57344.0, 57344.0, 57344.0, 40960.0]
    assert spec(x.float()).tolist()[:2] == [65536.0, -65536.0]  # float32 keeps the whole grid


@pytest.mark.parametrize("spec", [IntegerFormat(16, -2), LogFormat(6), MinifloatIEEEFormat(9, 6),
                                  IntegerFormat(20, 0, is_signed=False)], ids=str)
def test_no_finite_float16_input_becomes_inf(spec):
    top = torch.finfo(torch.float16).max
    x = torch.linspace(-top, top, 4001).to(torch.float16)
    out = spec(x)
    assert torch.isfinite(out).all()
    # still the grid: the float16 result is what float32 gives wherever that fits float16
    wide = spec(x.float())
    fits = wide.abs() <= top
    assert torch.equal(out.float()[fits], wide[fits])
    assert (out.float()[~fits].abs() <= top).all()

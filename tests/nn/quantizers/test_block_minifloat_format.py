"""block_minifloat against its definition: minifloat elements (every code decoded) with a shared
exponent-bias scale per block."""

import math

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from chop.errors import ConfigError
from chop.nn.quantizers import BlockMinifloatFormat, MXFPFormat, block_minifloat_quantizer, spec_from_config
from quantizer_reference import block_scaled_nd, minifloat_ieee_grid, round_to_grid

spread = st.builds(lambda s, e, m: s * m * 2.0**e, st.sampled_from([-1.0, 1.0, 0.0]),
                   st.integers(-30, 30), st.floats(1.0, 2.0, width=32))
arrays = hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=40),
                    elements=spread)


def reference(spec, x):
    e = spec.exponent_width
    grid = minifloat_ieee_grid(spec.width, e, 2 ** (e - 1) - 1)
    emax = math.floor(math.log2(grid.max()))
    half = 2 ** (spec.exponent_bias_width - 1)
    return block_scaled_nd(x, spec.block_size, spec.block_dims, emax, -half, half - 1,
                           lambda v: round_to_grid(v, grid))


@settings(max_examples=40, deadline=None)
@given(x=arrays, element=st.sampled_from([(8, 4), (8, 5), (6, 3), (6, 2), (4, 2), (5, 1)]),
       bias_width=st.sampled_from([8, 4, 3]), block_size=st.sampled_from([16, 3, [2, 4]]))
def test_matches_the_definition(x, element, bias_width, block_size):
    spec = BlockMinifloatFormat(*element, bias_width, block_size)
    out = spec(torch.from_numpy(x))
    np.testing.assert_array_equal(out.numpy(), reference(spec, x).astype(np.float32))
    assert torch.equal(spec(out), out)
    assert torch.equal(spec(-torch.from_numpy(x)), -out)


def test_worked_block():
    """e2m1 elements (grid 0, 0.5, 1, 1.5, 2, 3, 4, 6; emax 2). Block max 5: X = 2 - 2 = 0."""
    x = torch.tensor([5.0, 0.7, -2.4, 0.2])
    assert block_minifloat_quantizer(x, 4, 2, block_size=4).tolist() == [4.0, 0.5, -2.0, 0.0]
    # max 40: X = 5 - 2 = 3; elements x / 8 = 5, 0.0875 ... -> 4, 0, ... times 8
    assert block_minifloat_quantizer(x * 8, 4, 2, block_size=4).tolist() == [32.0, 4.0, -16.0, 0.0]


def test_the_shared_bias_saturates_at_its_width():
    """3 bias bits: X in [-4, 3]. A block of 2**-20 values sits at X = -4 and rounds to 0."""
    spec = BlockMinifloatFormat(8, 4, exponent_bias_width=3, block_size=2)
    assert spec(torch.tensor([2.0**-20, 2.0**-21])).tolist() == [0.0, 0.0]
    # 2**20: X = 20 - 8 clamps to 3, so it saturates at 480 * 2**3; 1.0 is 0.125 * 2**3
    assert spec(torch.tensor([2.0**20, 1.0])).tolist() == [480.0 * 8, 1.0]


def test_with_mx_elements_and_8_bias_bits_it_is_mxfp_below_the_e4m3_nan_code():
    x = torch.randn(4, 64, generator=torch.Generator().manual_seed(0)) * 10
    for (width, exponent_width) in [(8, 5), (6, 3), (6, 2), (4, 2)]:
        ours = BlockMinifloatFormat(width, exponent_width, 8, 32)(x)
        assert torch.equal(ours, MXFPFormat(width, exponent_width, 32)(x))


def test_fields_bits_and_errors():
    spec = spec_from_config({"name": "block_minifloat", "weight_width": 8, "weight_exponent_width": 4,
                             "weight_exponent_bias_width": 6, "weight_block_size": [1, 16]}, "weight")
    assert spec == BlockMinifloatFormat(8, 4, 6, 16)
    assert spec.bits == 8 + 6 / 16 and spec.type == "block_minifloat"
    assert spec.precision == [8, 4, 6, 16]
    assert BlockMinifloatFormat.from_dict(spec.to_dict()) == spec
    with pytest.raises(ConfigError, match="block_minifloat: element minifloat_ieee: exponent_width=8"):
        BlockMinifloatFormat(8, 8)
    with pytest.raises(ConfigError, match="exponent_bias_width=9"):
        BlockMinifloatFormat(8, 4, 9)

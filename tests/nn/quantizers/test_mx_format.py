"""OCP MX formats against element grids decoded from their bit layouts."""

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from chop.errors import ConfigError
from chop.nn.quantizers import MX_ELEMENTS, MXFPFormat, MXIntFormat, mxfp_quantizer, mxint_quantizer
from quantizer_reference import block_scaled, minifloat_ieee_grid, symmetric_fixed_elements

#: Element grids from the OCP MX v1.0 layouts: E4M3 loses its top code (NaN), E5M2 its top
#: exponent (inf/NaN); FP6 and FP4 use every code.
ELEMENT_GRIDS = {
    "e4m3": minifloat_ieee_grid(8, 4, 7, drop_top_codes=1),
    "e5m2": minifloat_ieee_grid(8, 5, 15, drop_top_exponent=True),
    "e3m2": minifloat_ieee_grid(6, 3, 3),
    "e2m3": minifloat_ieee_grid(6, 2, 1),
    "e2m1": minifloat_ieee_grid(4, 2, 1),
}
spread = st.builds(lambda s, e, m: s * m * 2.0**e, st.sampled_from([-1.0, 1.0, 0.0]),
                   st.integers(-40, 40), st.floats(1.0, 2.0, width=32))
arrays = hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=70),
                    elements=spread)


def mxfp_reference(spec, x):
    element = spec.element
    return block_scaled(x, spec.block_size, element.emax, -127, 127, ELEMENT_GRIDS[element.label])


def test_element_table_matches_the_decoded_grids():
    assert {e.label: e.max_value for e in MX_ELEMENTS.values()} == {
        "e4m3": 448.0, "e5m2": 57344.0, "e3m2": 28.0, "e2m3": 7.5, "e2m1": 6.0}
    for element in MX_ELEMENTS.values():
        grid = ELEMENT_GRIDS[element.label]
        assert grid.max() == element.max_value
        assert element.emax == int(np.floor(np.log2(element.max_value)))


@pytest.mark.parametrize("width, exponent_width", list(MX_ELEMENTS))
@settings(max_examples=25, deadline=None)
@given(x=arrays, block_size=st.sampled_from([32, 4, 5]))
def test_mxfp_matches_per_block_reference(width, exponent_width, block_size, x):
    spec = MXFPFormat(width, exponent_width, block_size)
    out = spec.quantize(torch.from_numpy(x))
    np.testing.assert_array_equal(out.numpy(), mxfp_reference(spec, x).astype(np.float32))
    assert torch.equal(spec.quantize(out), out)
    assert torch.equal(spec.quantize(-torch.from_numpy(x)), -out)


@settings(max_examples=40, deadline=None)
@given(x=arrays, width=st.integers(2, 10), block_size=st.sampled_from([32, 3, 16]))
def test_mxint_matches_per_block_reference(x, width, block_size):
    spec = MXIntFormat(width, block_size)
    out = spec.quantize(torch.from_numpy(x))
    expected = block_scaled(x, block_size, 0, -127, 127, symmetric_fixed_elements(width))
    np.testing.assert_array_equal(out.numpy(), expected.astype(np.float32))
    assert torch.equal(spec.quantize(out), out)


def test_mxfp8_e4m3_worked_block():
    """amax 1.0: X = 0 - 8, so elements are x * 256 on the E4M3 grid (step 2**-9 subnormal)."""
    x = torch.zeros(32)
    x[:4] = torch.tensor([1.0, 0.001, -0.3, 0.0000001])
    out = mxfp_quantizer(x)
    # 0.001 * 256 = 0.256 -> nearest E4M3 is 0.25 (spacing 1/32 in [0.25, 0.5))
    # -0.3 * 256 = -76.8 -> -80 (spacing 8 in [64, 128)); 2.56e-5 -> 0
    assert out[:4].tolist() == [1.0, 0.25 / 256, -80 / 256, 0.0]
    assert torch.count_nonzero(out[4:]) == 0


def test_mxfp4_saturates_block_elements_at_six():
    x = torch.tensor([7.9, 3.1, -0.26, 0.24])  # amax 7.9: X = 2 - 2 = 0
    assert mxfp_quantizer(x, 4, 2, block_size=4).tolist() == [6.0, 3.0, -0.5, 0.0]


def test_mxint8_worked_block():
    x = torch.tensor([1.5, 0.01, -1.0, 0.3])  # amax 1.5: X = 0, elements k/64
    out = mxint_quantizer(x, block_size=4)
    assert out.tolist() == [1.5, 0.015625, -1.0, 19 / 64]


def test_blocks_are_independent_along_the_last_dim():
    x = torch.cat([torch.full((32,), 0.01), torch.full((32,), 1000.0)]).reshape(1, 64)
    out = mxint_quantizer(x)
    assert torch.allclose(out[0, :32], torch.full((32,), 0.01), rtol=1 / 64)
    assert torch.equal(out[0, 32:], torch.full((32,), 1000.0))


def test_scale_exponent_is_clamped_to_e8m0():
    # floor(log2 amax) = -130 < -127: scale 2**-127, element step 2**-6 -> grid step 2**-133
    tiny = torch.tensor([2.0**-140, 2.0**-130, 3 * 2.0**-134])
    out = mxint_quantizer(tiny, block_size=3)
    assert out.tolist() == [0.0, 2.0**-130, 2.0**-132]


def test_bits_types_and_text():
    assert MXFPFormat().bits == 8.25 and MXFPFormat(4, 2).bits == 4.25
    assert MXIntFormat().bits == 8.25 and MXIntFormat(8, 16).bits == 8.5
    assert (MXFPFormat(6, 3).type, MXFPFormat(6, 3).precision) == ("mxfp", [6, 3, 32])
    assert (MXIntFormat().type, MXIntFormat().precision) == ("mxint", [8, 32])
    assert str(MXFPFormat(8, 5)) == "mxfp(e5m2, block=32)"
    assert str(MXIntFormat()) == "mxint(8, block=32)"


def test_non_ocp_element_is_rejected_with_the_valid_list():
    with pytest.raises(ConfigError, match=r"width=7, exponent_width=3 .*e4m3"):
        MXFPFormat(7, 3)

"""The block layout of the block formats: which elements share a scale (blocked dims, 2-D block
shapes), checked against index arithmetic, and what it costs in bits."""

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from chop.errors import ConfigError
from chop.nn.quantizers import BlockFPFormat, MXFPFormat, MXIntFormat, spec_from_config
from chop.nn.quantizers.blocks import block_count, from_blocks, to_blocks
from quantizer_reference import block_ids, block_scaled_nd, round_to_grid, symmetric_fixed_elements


@st.composite
def layouts(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=6))
    ndim = len(shape)
    dims = draw(st.none() | st.lists(st.integers(-ndim, ndim - 1), min_size=1, max_size=ndim,
                                     unique_by=lambda d: d % ndim))
    block = draw(st.integers(1, 9) | st.tuples(st.integers(1, 3), st.integers(1, 9)))
    return shape, (None if dims is None else tuple(dims)), block


@settings(max_examples=60, deadline=None)
@given(layout=layouts())
def test_blocks_round_trip_and_group_what_the_definition_groups(layout):
    shape, dims, block = layout
    x = torch.arange(float(np.prod(shape))).reshape(shape) + 1
    blocks, undo = to_blocks(x, block, dims)
    assert torch.equal(from_blocks(blocks, undo), x)
    ids = torch.from_numpy(block_ids(shape, block, dims))
    # every block (a row of the last axis) holds exactly the elements sharing one id
    for flat_block in blocks.reshape(-1, blocks.shape[-1]):
        members = flat_block[flat_block > 0].long() - 1
        if members.numel():
            assert ids.flatten()[members].unique().numel() == 1
    assert block_count(shape, block, dims) == ids.unique().numel()


@settings(max_examples=40, deadline=None)
@given(layout=layouts(), width=st.integers(2, 8), seed=st.integers(0, 2**16))
def test_mxint_blocks_match_the_reference_on_any_layout(layout, width, seed):
    shape, dims, block = layout
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(shape) * 2.0 ** rng.integers(-6, 7, shape)).astype(np.float32)
    spec = MXIntFormat(width, block, dims)
    grid = symmetric_fixed_elements(width)
    expected = block_scaled_nd(x, block, dims, 0, -127, 127, lambda v: round_to_grid(v, grid))
    np.testing.assert_array_equal(spec(torch.from_numpy(x)).numpy(), expected.astype(np.float32))


def test_conv_weight_blocked_along_its_reduction_is_the_flattened_matrix_blocked():
    w = torch.randn(8, 16, 3, 3, generator=torch.Generator().manual_seed(0))
    along = MXFPFormat(4, 2, block_dims=(-3, -2, -1))
    assert torch.equal(along(w), MXFPFormat(4, 2)(w.reshape(8, -1)).reshape(w.shape))
    x = torch.randn(2, 16, 5, 5, generator=torch.Generator().manual_seed(1))
    channels = MXFPFormat(4, 2, block_dims=(1,))
    expected = MXFPFormat(4, 2)(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
    assert torch.equal(channels(x), expected)


def test_two_d_block_shape_is_rows_by_columns():
    x = torch.tensor([[1.0, 0.01, 0.01, 0.01], [0.01, 0.01, 0.01, 0.01]])
    # [2, 2]: the 1.0 sets the scale of the left 2x2 block only
    out = MXIntFormat(4, [2, 2])(x)
    assert out[:, :2].tolist() == [[1.0, 0.0], [0.0, 0.0]]
    assert torch.allclose(out[:, 2:], torch.full((2, 2), 0.01), rtol=0.3)
    assert MXIntFormat(4, [1, 16]) == MXIntFormat(4, 16)  # MASE's [1, 16]: 16 along a row


def test_storage_bits_count_the_scales_a_tensor_stores():
    """The issue's case: MXINT4 on a [Cout, Cin, 3, 3] weight. Blocked along kW (the old last-dim
    layout) every 3 elements stored an 8-bit scale: 4 + 8/3 = 6.67 bits, while `bits` said 4.25.
    Along the reduction Cin*9 = 288 = 9 blocks of 32: 4.25 exactly."""
    shape = [16, 32, 3, 3]
    assert MXIntFormat(4).storage_bits(shape) == pytest.approx(4 + 8 / 3)
    assert MXIntFormat(4, block_dims=(-3, -2, -1)).storage_bits(shape) == 4.25
    assert MXIntFormat(4, block_dims=(-3, -2, -1)).storage_bits([64, 3, 3, 3]) == \
        pytest.approx(4 + 8 * 64 / (64 * 27))
    assert BlockFPFormat(4, exponent_width=5, block_size=[2, 8]).storage_bits([3, 8]) == \
        pytest.approx(4 + 5 * 2 / 24)
    assert MXIntFormat(4).storage_bits(None) == MXIntFormat(4).bits == 4.25


def test_block_fields_from_a_config_and_their_errors():
    config = {"name": "mxint", "weight_width": 4, "weight_block_size": [1, 16],
              "weight_block_dims": [1, 2, 3]}
    spec = spec_from_config(config, "weight")
    assert spec.block_size == 16 and spec.block_dims == (1, 2, 3)
    assert spec_from_config({**config, "weight_block_size": [2, 8]}, "weight").block_size == (2, 8)
    assert type(spec).from_dict(spec.to_dict()) == spec
    with pytest.raises(ConfigError, match=r"block_size=\[0, 16\]"):
        MXIntFormat(4, [0, 16])
    with pytest.raises(ConfigError, match=r"block_size=\[1, 2, 3\]"):
        MXIntFormat(4, [1, 2, 3])
    with pytest.raises(ConfigError, match="block_dims='x'"):
        MXIntFormat(4, 32, "x")
    with pytest.raises(ConfigError, match=r"block_dims=\[3\] do not exist"):
        MXIntFormat(4, 32, [3])(torch.ones(2, 2))

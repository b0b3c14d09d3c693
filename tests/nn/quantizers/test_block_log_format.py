"""block_log against its definition: log elements with a shared exponent bias per block."""

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from chop.errors import ConfigError
from chop.nn.quantizers import BlockLogFormat, block_log_quantizer, spec_from_config
from quantizer_reference import block_scaled_nd, round_log

spread = st.builds(lambda s, e, m: s * m * 2.0**e, st.sampled_from([-1.0, 1.0, 0.0]),
                   st.integers(-30, 30), st.floats(1.0, 2.0, width=32))
arrays = hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=40),
                    elements=spread)


def reference(spec, x):
    bias = 2 ** (spec.width - 2)
    top = 2 ** (spec.width - 1) - 1 - bias
    half = 2 ** (spec.exponent_bias_width - 1)
    return block_scaled_nd(x, spec.block_size, spec.block_dims, top, -half, half - 1,
                           lambda v: round_log(v, spec.width, bias),
                           block_exponent=lambda amax: int(np.round(np.log2(amax))))


@settings(max_examples=40, deadline=None)
@given(x=arrays, width=st.integers(2, 8), bias_width=st.sampled_from([8, 5, 2]),
       block_size=st.sampled_from([16, 3, [2, 4]]))
def test_matches_the_definition(x, width, bias_width, block_size):
    spec = BlockLogFormat(width, bias_width, block_size)
    out = spec(torch.from_numpy(x))
    np.testing.assert_array_equal(out.numpy(), reference(spec, x).astype(np.float32))
    assert torch.equal(spec(out), out)


def test_worked_block():
    """width 3: codes 1..3, powers top-2..top. Block max 5 rounds to 4 = 2**2: powers 1, 2, 4."""
    x = torch.tensor([5.0, 1.3, -0.8, 0.2, 2.7])  # 0.2 is nearest 0.25, below the lowest power
    assert block_log_quantizer(x, 3, block_size=5).tolist() == [4.0, 1.0, -1.0, 0.0, 2.0]
    # 5.9 rounds (by ratio) to 8: the block's powers are then 2, 4, 8 (1.3 -> 1, below: 0)
    assert block_log_quantizer(torch.tensor([5.9, 1.3, 1.5]), 3, block_size=3).tolist() == [8.0, 0.0, 2.0]


def test_fields_bits_and_errors():
    spec = spec_from_config({"name": "block_log", "data_in_width": 5, "data_in_exponent_bias_width": 4,
                             "data_in_block_size": 8}, "data_in")
    assert spec == BlockLogFormat(5, 4, 8)
    assert spec.bits == 5 + 4 / 8 and (spec.type, spec.precision) == ("block_log", [5, 4, 8])
    with pytest.raises(ConfigError, match="block_log: width=9 must be at most 8"):
        BlockLogFormat(9)

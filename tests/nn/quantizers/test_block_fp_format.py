"""Block floating point against a per-block numpy reference."""

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from chop.nn.quantizers import BlockFPFormat, block_fp_quantizer
from quantizer_reference import block_scaled, symmetric_fixed_elements

spread = st.builds(lambda s, e, m: s * m * 2.0**e, st.sampled_from([-1.0, 1.0, 0.0]),
                   st.integers(-30, 30), st.floats(1.0, 2.0, width=32))
shapes = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=20)
arrays = hnp.arrays(np.float32, shapes, elements=spread)
formats = st.builds(BlockFPFormat, st.integers(2, 10), st.integers(2, 8), st.none(),
                    st.integers(1, 9))


def reference(spec, x):
    return block_scaled(x, spec.block_size, 0, spec.min_exponent, spec.max_exponent,
                        symmetric_fixed_elements(spec.width))


@settings(max_examples=100, deadline=None)
@given(formats, arrays)
def test_matches_per_block_reference(spec, x):
    out = spec.quantize(torch.from_numpy(x))
    assert out.shape == x.shape
    np.testing.assert_array_equal(out.numpy(), reference(spec, x).astype(np.float32))


@settings(max_examples=60, deadline=None)
@given(formats, arrays)
def test_idempotent_and_sign_symmetric(spec, x):
    t = torch.from_numpy(x)
    out = spec.quantize(t)
    assert torch.equal(spec.quantize(out), out)
    assert torch.equal(spec.quantize(-t), -out)


def test_each_block_has_its_own_exponent():
    x = torch.tensor([[1.0, 0.3, 0.01, 0.02, 100.0, 0.3, 3.0, 1.1]])
    out = block_fp_quantizer(x, width=4, block_size=4)
    # block 1: max 1.0 -> E=0, step 2**-2; block 2: max 100 -> E=6, step 2**4
    assert out.tolist() == [[1.0, 0.25, 0.0, 0.0, 96.0, 0.0, 0.0, 0.0]]
    changed = x.clone()
    changed[0, 4] = 1.9
    assert torch.equal(block_fp_quantizer(changed, 4, block_size=4)[0, :4], out[0, :4])


def test_block_max_that_rounds_up_saturates_below_two():
    out = block_fp_quantizer(torch.tensor([1.99, -1.99, 0.1]), width=4, block_size=3)
    assert out.tolist() == [1.75, -1.75, 0.0]


def test_padding_of_a_partial_last_block_changes_nothing():
    x = torch.randn(3, 10)
    padded = torch.nn.functional.pad(x, (0, 2))
    spec = BlockFPFormat(5, block_size=4)
    assert torch.equal(spec.quantize(x), spec.quantize(padded)[:, :10])


def test_zero_blocks_and_scalars():
    assert torch.equal(block_fp_quantizer(torch.zeros(2, 8), 6), torch.zeros(2, 8))
    assert block_fp_quantizer(torch.tensor(0.3), 4).item() == 0.3125


def test_shared_exponent_saturates_at_its_code_range():
    spec = BlockFPFormat(4, exponent_width=3)  # bias 3: exponents -3 .. 4
    out = spec.quantize(torch.tensor([1000.0, 0.01]))
    assert out.tolist() == [1.75 * 16, 0.0]
    tiny = spec.quantize(torch.tensor([0.1, 0.03]))  # E clamps at -3: step 2**-5
    assert tiny.tolist() == [0.09375, 0.03125]


def test_metadata_and_text():
    spec = BlockFPFormat(8, exponent_width=8, block_size=16)
    assert spec.bits == 8.5
    assert (spec.type, spec.precision) == ("block_fp", [8, 8, 127, 16])
    assert str(spec) == "block_fp(8, e=8, block=16)"


@pytest.mark.parametrize("block_size", [1, 7, 64])
def test_block_sizes_match_reference(block_size):
    x = torch.tensor([[0.7, -3.0, 12.5, 0.001, 5.0, 6.0, 7.0]])
    out = block_fp_quantizer(x, 8, block_size=block_size)
    np.testing.assert_array_equal(out.numpy(),
                                  reference(BlockFPFormat(8, block_size=block_size), x.numpy()))

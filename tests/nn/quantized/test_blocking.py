"""Block formats in quantized convs and matmuls block along the reduction; the cost pass counts
their scales at the real tensor shapes."""

import operator

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from chop import MaseGraph
from chop.nn.quantized import from_float, quantized_function
from chop.nn.quantizers import MXIntFormat
from chop.passes.graph import (
    add_common_metadata_analysis_pass,
    flops_analysis_pass,
    init_metadata_analysis_pass,
    quantize_transform_pass,
)

MX4 = {"name": "mxint", "data_in_width": 4, "weight_width": 4, "bias_width": 8}


def test_conv2d_weight_blocks_along_cin_kh_kw_and_input_along_channels():
    conv = nn.Conv2d(16, 8, 3, padding=1)
    q = from_float(conv, MX4)
    assert q.w_quantizer.block_dims == (-3, -2, -1)
    assert q.x_quantizer.block_dims == (-3,)
    x = torch.randn(2, 16, 6, 6, generator=torch.Generator().manual_seed(0))
    w_ref = MXIntFormat(4)(conv.weight.reshape(8, -1)).reshape(conv.weight.shape)
    x_ref = MXIntFormat(4)(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
    b_ref = MXIntFormat(8)(conv.bias)
    assert torch.equal(q(x), F.conv2d(x_ref, w_ref, b_ref, padding=1))


@pytest.mark.parametrize("conv, weight_dims", [(nn.Conv1d(4, 2, 3), (-2, -1)),
                                               (nn.Conv3d(4, 2, 3), (-4, -3, -2, -1))])
def test_every_conv_rank_blocks_its_reduction(conv, weight_dims):
    q = from_float(conv, MX4)
    assert q.w_quantizer.block_dims == weight_dims
    assert q.x_quantizer.block_dims == (weight_dims[0],)


def test_explicit_block_dims_win_and_linear_keeps_the_last_dim():
    q = from_float(nn.Conv2d(4, 2, 3), {**MX4, "weight_block_dims": [-1]})
    assert q.w_quantizer.block_dims == (-1,) and q.x_quantizer.block_dims == (-3,)
    assert from_float(nn.Linear(4, 2), MX4).w_quantizer.block_dims is None


def test_unbatched_conv_input_blocks_its_channels():
    conv = nn.Conv2d(16, 4, 3)
    q = from_float(conv, MX4)
    x = torch.randn(16, 5, 5, generator=torch.Generator().manual_seed(2))
    assert torch.equal(q(x), q(x[None])[0])


def test_cost_counts_the_scales_of_the_conv_weight():
    """MXINT4 weight [16, 32, 3, 3]: 9 blocks of 32 per output channel -> 4.25 bits, the
    figure `bits` gave while the blocks ran along kW (6.67 bits really stored)."""
    model = nn.Sequential(nn.Conv2d(32, 16, 3))
    mg, _ = init_metadata_analysis_pass(MaseGraph(model), None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": (torch.randn(1, 32, 5, 5),)})
    q, _ = quantize_transform_pass(mg, {"by": "type", "conv2d": {"config": MX4}})
    (record,) = [r for r in flops_analysis_pass(q, {"per_sample": False, "silent": True})[1]["nodes"].values()
                 if r["op"] == "conv2d"]
    weight_bits = 16 * 32 * 9 * 4.25
    bias_bits = 16 * (8 + 8 / 16)  # one scale for the 16 biases
    assert record["weight_memory_bits"] == pytest.approx(weight_bits + bias_bits)
    # input (1, 32, 5, 5) blocked along its 32 channels: one scale per position
    assert record["bitops_forward"] == pytest.approx(record["macs_forward"] * 4.25 * 4.25)


def blocked_along_rows(spec, b: torch.Tensor) -> torch.Tensor:
    """The definition for b of `a @ b`: blocks run down b's columns (its dim -2), i.e. along the
    last dim of b transposed."""
    return spec(b.transpose(-1, -2).contiguous()).transpose(-1, -2)


@pytest.mark.parametrize("target, a_shape, b_shape", [
    (torch.matmul, (5, 48), (48, 7)),
    (torch.matmul, (2, 3, 5, 40), (2, 3, 40, 6)),  # attention-shaped, batched
    (torch.bmm, (3, 4, 36), (3, 36, 5)),
    (operator.matmul, (6, 33), (33, 2)),
])
def test_matmul_and_bmm_block_b_along_the_reduction(target, a_shape, b_shape):
    """`a @ b` sums a's last dim against b's dim -2: b's blocks run along dim -2 (one scale per
    32 rows of a column), a's along its last dim."""
    g = torch.Generator().manual_seed(3)
    a = torch.randn(a_shape, generator=g) * torch.exp2(torch.randint(-6, 6, a_shape, generator=g).float())
    b = torch.randn(b_shape, generator=g) * torch.exp2(torch.randint(-6, 6, b_shape, generator=g).float())
    q = quantized_function(target, {"name": "mxint", "data_in_width": 4})
    assert q.quantizer("data_in_1").block_dims == (-2,)
    assert q.quantizer("data_in_0").block_dims is None
    mx = MXIntFormat(4)
    expected = torch.matmul(mx(a), blocked_along_rows(mx, b))
    assert torch.equal(q(a, b), expected)
    # the old layout (b blocked along its last dim) gives another answer on data like this
    assert not torch.equal(q(a, b), torch.matmul(mx(a), mx(b)))


def test_matmul_with_a_vector_blocks_it_along_its_only_dim():
    g = torch.Generator().manual_seed(4)
    a, v = torch.randn(3, 40, generator=g), torch.randn(40, generator=g) * 10
    q = quantized_function(torch.matmul, {"name": "mxfp", "data_in_width": 8,
                                          "data_in_exponent_width": 4})
    mx = q.quantizer("data_in_1")
    assert torch.equal(q(a, v), torch.matmul(q.quantizer("data_in_0")(a), mx(v)))
    assert torch.equal(mx(v), type(mx)(8, 4)(v))  # (-2,) on a vector: its only dim


def test_explicit_block_dims_of_b_win():
    q = quantized_function(torch.bmm, {"name": "mxint", "data_in_width": 4,
                                       "data_in_1_block_dims": [-1]})
    assert q.quantizer("data_in_1").block_dims == (-1,)

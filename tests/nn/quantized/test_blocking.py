"""Block formats in quantized convs block along the reduction; the cost pass counts their
scales at the real tensor shapes."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from chop import MaseGraph
from chop.nn.quantized import from_float
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

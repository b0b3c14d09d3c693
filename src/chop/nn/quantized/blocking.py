"""Where a block format's blocks run in a quantized op: along the op's reduction.

A shared scale serves a dot product best when its block lies along the summed dim: for a conv
that is Cin*kH*kW of the `[Cout, Cin, kH, kW]` weight and the channels of the `(N, C, H, W)`
input (as OCP MX and MASE block them); for `a @ b` (matmul, bmm) it is a's last dim and b's
second-to-last (a 1-D b, a vector, blocks along its only dim). Linear reduces along the last
dim, the formats' default. An operand's explicit `block_dims` in the config wins.
"""

from __future__ import annotations

import dataclasses

from torch import nn

from chop.nn.functions import Bmm, Matmul
from chop.nn.quantizers import NumberFormat


def reduction_dims(module: nn.Module, operand: str) -> tuple[int, ...] | None:
    """The dims `operand` of `module` is summed over (None: the last dim)."""
    if isinstance(module, nn.modules.conv._ConvNd):
        spatial = len(module.kernel_size)
        if operand == "weight":
            return tuple(range(-(spatial + 1), 0))  # Cin and the kernel
        if operand.startswith("data_in"):
            return (-(spatial + 1),)  # the channels, batched or not
    if isinstance(module, (Matmul, Bmm)) and operand == "data_in_1":
        return (-2,)  # b's rows: the K of (..., M, K) @ (..., K, N)
    return None


def along_reduction(spec: NumberFormat, module: nn.Module, operand: str) -> NumberFormat:
    """`spec` with its blocks along `operand`'s reduction, if it is a block format whose
    `block_dims` the config left open."""
    if "block_dims" not in spec.field_names() or spec.block_dims is not None:
        return spec
    dims = reduction_dims(module, operand)
    return spec if dims is None else dataclasses.replace(spec, block_dims=dims)

"""Block logarithmic numbers (MASE's `block_log`): signed powers of two whose exponent bias is
shared by a block.

Each element is a `width`-bit log code, as in the `log` format: a sign bit and a (width-1)-bit
exponent code c, c = 0 meaning 0 and c >= 1 meaning ±2**(c - bias). Here the bias is not fixed
but shared by a block (the layout of `blocks.py`) and stored as an `exponent_bias_width`-bit
signed integer: one power-of-two scale 2**X per block on top of the log format's default
bias b = 2**(width-2). X is chosen so that the block's largest magnitude a, rounded to its
nearest power of two (by ratio, as log rounding does), is the top code:

    X = clamp(round(log2 a) - (2**(width-1) - 1 - b), -2**(k-1), 2**(k-1) - 1)
    q(x) = log(x / 2**X) * 2**X        (k = exponent_bias_width)

so a block keeps the 2**(width-1) - 1 powers just below its largest one, and 0. An all-zero
block gets the lowest X (within float32's -127..127).

Storage: bits = width + exponent_bias_width / elements per block. Gradient straight-through
everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from chop.nn.quantizers.base import NumberFormat, check_int
from chop.nn.quantizers.block_fp import SharedBiasBlocks, block_scaled_quantize
from chop.nn.quantizers.log import LogFormat, nearest_power
from chop.nn.quantizers.registry import register_format

#: The element powers (default log bias) must stay within float32: 8 bits at most.
MAX_WIDTH = 8


@register_format("block_log")
@dataclass(frozen=True)
class BlockLogFormat(SharedBiasBlocks, NumberFormat):
    """Signed powers of two with a shared `exponent_bias_width`-bit bias per block."""

    name: ClassVar[str] = "block_log"

    width: int
    exponent_bias_width: int = 8
    block_size: int | tuple[int, int] = 16
    block_dims: tuple[int, ...] | None = None

    def __post_init__(self):
        check_int(self, "width", 2, MAX_WIDTH)
        self.check_shared_bias()

    @property
    def element(self) -> LogFormat:
        return LogFormat(self.width)

    def _quantize(self, x: torch.Tensor) -> torch.Tensor:
        element = self.element
        return block_scaled_quantize(x, self, element.max_exponent, *self.bias_range,
                                     element._quantize, block_exponent=nearest_power)

    @property
    def type(self) -> str:
        return "block_log"

    @property
    def precision(self) -> list:
        return [self.width, self.exponent_bias_width, self.block_size]

    def __str__(self) -> str:
        return (f"block_log({self.width}, bias_bits={self.exponent_bias_width}, "
                f"block={self.block_size})")


def block_log_quantizer(x: torch.Tensor, width: int, exponent_bias_width: int = 8,
                        block_size: int | list[int] = 16,
                        block_dims: list[int] | None = None) -> torch.Tensor:
    """Quantize `x` to block log (see `BlockLogFormat`)."""
    return BlockLogFormat(width, exponent_bias_width, block_size, block_dims).quantize(x)

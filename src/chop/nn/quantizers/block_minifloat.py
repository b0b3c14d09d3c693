"""Block minifloat (Fox et al., "A Block Minifloat Representation for Training Deep Neural
Networks", ICLR 2021; MASE's `block_minifloat`): minifloat elements whose exponent bias is
shared by a block.

Each element is a `width`-bit IEEE-style minifloat (sign, `exponent_width` exponent bits,
m = width - 1 - exponent_width mantissa bits, implicit leading one, subnormals, saturating, no
inf/NaN codes), exactly the grid of `minifloat_ieee(width, exponent_width)` with its default
bias b = 2**(exponent_width-1) - 1. A block of elements (the layout of `blocks.py`) shares one
extra bias, stored as an `exponent_bias_width`-bit signed integer, i.e. one power-of-two scale
2**X per block. X moves the element grid so that the block's largest magnitude a lands in the
elements' top binade:

    X = clamp(floor(log2 a) - emax, -2**(k-1), 2**(k-1) - 1)     (k = exponent_bias_width)
    q(x) = minifloat(x / 2**X) * 2**X                            (round to nearest, ties even)

with emax = 2**exponent_width - 1 - b the element's largest binade exponent (and X kept within
float32's -127..127). An all-zero block gets the lowest X. With 8 bias bits and e4m3/e5m2/e2m1
elements this is MXFP's layout with IEEE-style elements (MXFP's E4M3 has one code fewer).

Storage: bits = width + exponent_bias_width / elements per block. Gradient straight-through
everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch

from chop.nn.quantizers.base import NumberFormat, round_to_float_grid
from chop.nn.quantizers.block_fp import SharedBiasBlocks, block_scaled_quantize
from chop.nn.quantizers.minifloat import MinifloatIEEEFormat
from chop.nn.quantizers.registry import register_format


@register_format("block_minifloat")
@dataclass(frozen=True)
class BlockMinifloatFormat(SharedBiasBlocks, NumberFormat):
    """Minifloat elements with a shared `exponent_bias_width`-bit bias per block."""

    name: ClassVar[str] = "block_minifloat"

    width: int
    exponent_width: int
    exponent_bias_width: int = 8
    block_size: int | tuple[int, int] = 16
    block_dims: tuple[int, ...] | None = None

    def __post_init__(self):
        self.check_shared_bias()

    @property
    def element(self) -> MinifloatIEEEFormat:
        return MinifloatIEEEFormat(self.width, self.exponent_width)

    @property
    def element_emax(self) -> int:
        return math.floor(math.log2(self.element.max_value))

    def _quantize(self, x: torch.Tensor) -> torch.Tensor:
        fraction_bits, min_exponent, max_value = self.element._grid()

        def quantize_elements(y: torch.Tensor) -> torch.Tensor:
            return round_to_float_grid(y, fraction_bits, min_exponent, max_value)

        return block_scaled_quantize(x, self, self.element_emax, *self.bias_range, quantize_elements)

    @property
    def type(self) -> str:
        return "block_minifloat"

    @property
    def precision(self) -> list:
        return [self.width, self.exponent_width, self.exponent_bias_width, self.block_size]

    def __str__(self) -> str:
        return (f"block_minifloat({self.width}, e={self.exponent_width}, "
                f"bias_bits={self.exponent_bias_width}, block={self.block_size})")


def block_minifloat_quantizer(x: torch.Tensor, width: int, exponent_width: int,
                              exponent_bias_width: int = 8, block_size: int | list[int] = 16,
                              block_dims: list[int] | None = None) -> torch.Tensor:
    """Quantize `x` to block minifloat (see `BlockMinifloatFormat`)."""
    return BlockMinifloatFormat(width, exponent_width, exponent_bias_width, block_size,
                                block_dims).quantize(x)

"""Block floating point: blocks of `block_size` elements share one exponent; each element is a
signed `width`-bit mantissa. Which elements form a block (`block_size`, `block_dims`) is the
block layout of `blocks.py`: by default runs along the last dim; in a quantized conv, along its
reduction.

For a block with largest magnitude a, the shared exponent is E = floor(log2 a), limited to the
range of an `exponent_width`-bit code with bias (default 2**(exponent_width-1) - 1):
[-bias, 2**exponent_width - 1 - bias], and to float32's [-127, 127]. Each element is then a
fixed-point number with one integer bit and width-2 fraction bits, times 2**E:

    q(x) = clamp(round(x / 2**(E - (width - 2))), -(2**(width-1) - 1), 2**(width-1) - 1)
           * 2**(E - (width - 2))

so the block maximum lands in [1, 2) * 2**E. Rounding is half-to-even; the range is symmetric
(the code -2**(width-1) is unused) so that q(-x) = -q(x).

Storage: width bits per element plus the shared exponent amortised over the block:
bits = width + exponent_width / elements per block; `storage_bits(shape)` counts the blocks a
tensor of that shape really has (a partial block stores a whole scale). The gradient is
straight-through everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import math

import torch

from chop.errors import ConfigError
from chop.nn.quantizers.base import (
    NumberFormat,
    binade_exponent,
    check_int,
    pow2,
    set_field,
)
from chop.nn.quantizers.blocks import (
    block_count,
    check_block_fields,
    elements_per_block,
    from_blocks,
    to_blocks,
)
from chop.nn.quantizers.registry import register_format

MAX_WIDTH = 32
#: Shared exponents are limited to float32's exponent range.
SCALE_EXPONENT_LIMIT = 127


def block_abs_max(blocks: torch.Tensor) -> torch.Tensor:
    """max |x| over the last dim of (..., n_blocks, block_size), keeping that dim.

    On CPU, amax over a short last dim is slow unless it is a multiple of 32 (measured: 0.1 ms
    for 512x1024 floats in blocks of 32, 0.6-0.8 ms in blocks of 16); max_pool1d is ~0.25 ms
    for any block size.
    """
    magnitude = blocks.abs().nan_to_num_(nan=0.0, posinf=float("inf"))  # NaN sets no scale
    block_size = blocks.shape[-1]
    if block_size % 32 == 0 or blocks.numel() == 0:
        return magnitude.amax(dim=-1, keepdim=True)
    rows = magnitude.reshape(-1, blocks.shape[-2] * block_size)
    pooled = torch.nn.functional.max_pool1d(rows, block_size, block_size)
    return pooled.reshape(*blocks.shape[:-1], 1)


def block_scaled_quantize(x: torch.Tensor, spec: BlockScaled, exponent_offset: int,
                          min_scale: int, max_scale: int,
                          quantize_elements: Callable[[torch.Tensor], torch.Tensor],
                          block_exponent: Callable[[torch.Tensor], torch.Tensor] = binade_exponent
                          ) -> torch.Tensor:
    """Quantize the blocks of `spec`'s layout with a shared power-of-two scale each.

    scale exponent X = clamp(block_exponent(block max) - exponent_offset, min_scale, max_scale),
    block_exponent being floor(log2 .) unless given; result = quantize_elements(x / 2**X) * 2**X.
    An all-zero (or all-NaN) block gets X = min_scale.
    """
    blocks, layout = to_blocks(x, spec.block_size, spec.block_dims)
    block_max = block_abs_max(blocks)
    min_scale = max(min_scale, -SCALE_EXPONENT_LIMIT)
    max_scale = min(max_scale, SCALE_EXPONENT_LIMIT)
    scale = block_exponent(block_max).sub_(exponent_offset).clamp_(min_scale, max_scale)
    # One factor per block, built in float64: 2**-127 is a float32 subnormal, which the
    # float32 bit trick cannot make; the cast to float32 keeps it exact.
    up, down = pow2(-scale, torch.float64).to(x.dtype), pow2(scale, torch.float64).to(x.dtype)
    elements = quantize_elements(blocks * up)
    out = from_blocks(elements.mul_(down), layout)
    return out if out.is_contiguous() else out.contiguous()


class BlockScaled:
    """Storage accounting shared by the block formats: `width` bits per element plus
    `scale_bits` per block (fields `block_size` and `block_dims`: see `blocks.py`)."""

    @property
    def scale_bits(self) -> int:
        raise NotImplementedError

    @property
    def bits(self) -> float:
        """Per element, for whole blocks: width + scale_bits / elements per block."""
        return self.width + self.scale_bits / elements_per_block(self.block_size)

    def storage_bits(self, shape) -> float:
        """Per element of a tensor of `shape`: its real number of scales, partial blocks
        included (a [64, 3, 3, 3] weight in blocks of 32 along 27 elements stores 64 scales)."""
        if shape is None or math.prod(shape) == 0:
            return self.bits
        scales = block_count(tuple(shape), self.block_size, self.block_dims)
        return self.width + self.scale_bits * scales / math.prod(shape)


class SharedBiasBlocks(BlockScaled):
    """Block formats whose blocks share an `exponent_bias_width`-bit signed bias (one power-of-two
    scale per block) over the elements of a scalar format (`element`)."""

    MAX_BIAS_WIDTH: ClassVar[int] = 8

    def check_shared_bias(self) -> None:
        """Building the element checks its own fields; then the bias width and the blocks."""
        try:
            self.element  # noqa: B018
        except ConfigError as error:
            raise ConfigError(f"{self.name}: element {error}") from None
        check_int(self, "exponent_bias_width", 1, self.MAX_BIAS_WIDTH)
        check_block_fields(self)

    @property
    def bias_range(self) -> tuple[int, int]:
        half = 2 ** (self.exponent_bias_width - 1)
        return -half, half - 1

    @property
    def scale_bits(self) -> int:
        return self.exponent_bias_width


def fixed_point_elements(width: int) -> Callable[[torch.Tensor], torch.Tensor]:
    """Elements as symmetric two's-complement fixed point with 1 integer and width-2 fraction
    bits: values k / 2**(width-2), |k| <= 2**(width-1) - 1."""
    step_exponent = width - 2
    limit = 2 ** (width - 1) - 1

    def quantize(y: torch.Tensor) -> torch.Tensor:
        return (y * 2.0**step_exponent).round_().clamp_(-limit, limit).mul_(2.0**-step_exponent)

    return quantize


@register_format("block_fp")
@dataclass(frozen=True)
class BlockFPFormat(BlockScaled, NumberFormat):
    """`width`-bit signed mantissas sharing an `exponent_width`-bit exponent per block."""

    name: ClassVar[str] = "block_fp"

    width: int
    exponent_width: int = 8
    exponent_bias: int | None = None
    block_size: int | tuple[int, int] = 16
    block_dims: tuple[int, ...] | None = None

    def __post_init__(self):
        check_int(self, "width", 2, MAX_WIDTH)
        check_int(self, "exponent_width", 1, 8)
        if self.exponent_bias is None:
            set_field(self, "exponent_bias", 2 ** (self.exponent_width - 1) - 1)
        top = 2**self.exponent_width - 1
        check_int(self, "exponent_bias", -SCALE_EXPONENT_LIMIT, top + SCALE_EXPONENT_LIMIT,
                  hint=" The shared exponents must overlap float32's range.")
        check_block_fields(self)

    @property
    def min_exponent(self) -> int:
        return max(-self.exponent_bias, -SCALE_EXPONENT_LIMIT)

    @property
    def max_exponent(self) -> int:
        return min(2**self.exponent_width - 1 - self.exponent_bias, SCALE_EXPONENT_LIMIT)

    def _quantize(self, x: torch.Tensor) -> torch.Tensor:
        return block_scaled_quantize(x, self, 0, self.min_exponent,
                                     self.max_exponent, fixed_point_elements(self.width))

    @property
    def scale_bits(self) -> int:
        return self.exponent_width

    @property
    def type(self) -> str:
        return "block_fp"

    @property
    def precision(self) -> list[int]:
        return [self.width, self.exponent_width, self.exponent_bias, self.block_size]

    def __str__(self) -> str:
        return f"block_fp({self.width}, e={self.exponent_width}, block={self.block_size})"


def block_fp_quantizer(x: torch.Tensor, width: int, exponent_width: int = 8,
                       exponent_bias: int | None = None, block_size: int | list[int] = 16,
                       block_dims: list[int] | None = None) -> torch.Tensor:
    """Quantize `x` to block floating point (see `BlockFPFormat`; blocks along the last dim
    unless `block_dims` says otherwise)."""
    return BlockFPFormat(width, exponent_width, exponent_bias, block_size,
                         block_dims).quantize(x)

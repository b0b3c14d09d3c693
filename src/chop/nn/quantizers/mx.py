"""OCP Microscaling (MX v1.0) formats: blocks of `block_size` (default 32) elements share one
power-of-two scale X (an E8M0 code: exponents -127 .. 127). Blocks run along the last dim by
default and along the reduction in quantized convs (`block_dims`; see `blocks.py`).

For a block with largest magnitude a and element types whose largest power of two is emax_elem:
    X = clamp(floor(log2 a) - emax_elem, -127, 127),   q(x) = element(x / 2**X) * 2**X
Elements are rounded to nearest, ties to even, and saturate at the element maximum.

mxfp elements (width, exponent_width) -> bias, largest value, emax_elem:
    FP8 E4M3 (8, 4): bias 7,  max 448   (its top code S.1111.111 is NaN, no inf), emax 8
    FP8 E5M2 (8, 5): bias 15, max 57344 (IEEE-like; the top exponent is inf/NaN), emax 15
    FP6 E3M2 (6, 3): bias 3,  max 28,  emax 4
    FP6 E2M3 (6, 2): bias 1,  max 7.5, emax 2
    FP4 E2M1 (4, 2): bias 1,  max 6,   emax 2
All have subnormals (exponent code 0). mxint elements are `width`-bit (MXINT8: 8) two's-complement
fixed point with one integer bit, i.e. k / 2**(width-2) (INT8: implicit scale 2**-6, emax_elem 0),
used symmetrically (|k| <= 2**(width-1) - 1) so that q(-x) = -q(x).

Storage: bits = width + 8 / block_size (the E8M0 scale amortised; 8.25 for MXFP8 with 32);
`storage_bits(shape)` counts the partial blocks of a real tensor.
The gradient is straight-through everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import torch

from chop.errors import ConfigError
from chop.nn.quantizers.base import NumberFormat, check_int, round_to_float_grid
from chop.nn.quantizers.block_fp import (
    BlockScaled,
    block_scaled_quantize,
    fixed_point_elements,
)
from chop.nn.quantizers.blocks import check_block_fields
from chop.nn.quantizers.registry import register_format

SCALE_BITS = 8
SCALE_MIN, SCALE_MAX = -127, 127


class MXElement(NamedTuple):
    """An OCP MX floating-point element type."""

    label: str
    mantissa_width: int
    bias: int
    max_value: float
    emax: int


#: (width, exponent_width) -> element type.
MX_ELEMENTS: dict[tuple[int, int], MXElement] = {
    (8, 4): MXElement("e4m3", 3, 7, 448.0, 8),
    (8, 5): MXElement("e5m2", 2, 15, 57344.0, 15),
    (6, 3): MXElement("e3m2", 2, 3, 28.0, 4),
    (6, 2): MXElement("e2m3", 3, 1, 7.5, 2),
    (4, 2): MXElement("e2m1", 1, 1, 6.0, 2),
}


def _valid_elements() -> str:
    return ", ".join(f"{e.label} (width={w}, exponent_width={x})"
                     for (w, x), e in MX_ELEMENTS.items())


@register_format("mxfp")
@dataclass(frozen=True)
class MXFPFormat(BlockScaled, NumberFormat):
    """MXFP8/6/4: OCP floating-point elements with a shared E8M0 scale per block."""

    name: ClassVar[str] = "mxfp"

    width: int = 8
    exponent_width: int = 4
    block_size: int | tuple[int, int] = 32
    block_dims: tuple[int, ...] | None = None

    def __post_init__(self):
        check_int(self, "width", 4, 8)
        check_int(self, "exponent_width", 2, 5)
        if (self.width, self.exponent_width) not in MX_ELEMENTS:
            raise ConfigError(
                f"mxfp: width={self.width}, exponent_width={self.exponent_width} is not an OCP "
                f"MX element type; valid: {_valid_elements()}."
            )
        check_block_fields(self)

    @property
    def element(self) -> MXElement:
        return MX_ELEMENTS[(self.width, self.exponent_width)]

    def _quantize(self, x: torch.Tensor) -> torch.Tensor:
        element = self.element

        def quantize_elements(y: torch.Tensor) -> torch.Tensor:
            return round_to_float_grid(y, element.mantissa_width, 1 - element.bias,
                                       element.max_value)

        return block_scaled_quantize(x, self, element.emax, SCALE_MIN, SCALE_MAX,
                                     quantize_elements)

    @property
    def scale_bits(self) -> int:
        return SCALE_BITS

    @property
    def type(self) -> str:
        return "mxfp"

    @property
    def precision(self) -> list[int]:
        return [self.width, self.exponent_width, self.block_size]

    def __str__(self) -> str:
        return f"mxfp({self.element.label}, block={self.block_size})"


@register_format("mxint")
@dataclass(frozen=True)
class MXIntFormat(BlockScaled, NumberFormat):
    """MXINT: `width`-bit fixed-point elements (1 integer bit) with a shared E8M0 scale."""

    name: ClassVar[str] = "mxint"

    width: int = 8
    block_size: int | tuple[int, int] = 32
    block_dims: tuple[int, ...] | None = None

    def __post_init__(self):
        check_int(self, "width", 2, 32)
        check_block_fields(self)

    def _quantize(self, x: torch.Tensor) -> torch.Tensor:
        return block_scaled_quantize(x, self, 0, SCALE_MIN, SCALE_MAX,
                                     fixed_point_elements(self.width))

    @property
    def scale_bits(self) -> int:
        return SCALE_BITS

    @property
    def type(self) -> str:
        return "mxint"

    @property
    def precision(self) -> list[int]:
        return [self.width, self.block_size]

    def __str__(self) -> str:
        return f"mxint({self.width}, block={self.block_size})"


def mxfp_quantizer(x: torch.Tensor, width: int = 8, exponent_width: int = 4,
                   block_size: int | list[int] = 32,
                   block_dims: list[int] | None = None) -> torch.Tensor:
    """Quantize `x` to an OCP MXFP format (see `MXFPFormat`; blocks along the last dim unless
    `block_dims` says otherwise)."""
    return MXFPFormat(width, exponent_width, block_size, block_dims).quantize(x)


def mxint_quantizer(x: torch.Tensor, width: int = 8, block_size: int | list[int] = 32,
                    block_dims: list[int] | None = None) -> torch.Tensor:
    """Quantize `x` to OCP MXINT (see `MXIntFormat`; blocks along the last dim unless
    `block_dims` says otherwise)."""
    return MXIntFormat(width, block_size, block_dims).quantize(x)

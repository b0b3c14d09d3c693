"""Minifloats: a sign bit, `exponent_width` exponent bits and m = width - 1 - exponent_width
mantissa bits, with an exponent bias (default 2**(exponent_width-1) - 1), saturating, and no
inf/NaN: every exponent code is a finite value. Rounding is to nearest, ties to even.

minifloat_ieee (IEEE-754 style with an implicit leading one), exponent code c, mantissa code k:
    c >= 1: value = ±(1 + k / 2**m) * 2**(c - bias)          (normals)
    c == 0: value = ±(k / 2**m) * 2**(1 - bias)              (subnormals)
    largest value (2 - 2**-m) * 2**(2**e - 1 - bias); e.g. e=4, m=3 gives 480.

minifloat_denorm (no implicit one: every code is "denormal" style):
    value = ±(k / 2**m) * 2**(c - bias)  for every c, k
    Several codes share a value, so the distinct values are: multiples of 2**(-bias - m) below
    2**-bias, then m-1 fraction bits per binade, up to (1 - 2**-m) * 2**(2**e - 1 - bias).
    It needs m >= 1.

Grid values must be float32 values: exponents below 2**-149 or above float32's top binade are
rejected, except that e=8 with bias 127 (bfloat16's layout) saturates at bfloat16's largest
finite value, whose binade is float32's top one.

The OCP FP8/FP6/FP4 element types (with their own maxima, e.g. E4M3 = 448) live in `mx.py`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from chop.errors import ConfigError
from chop.nn.quantizers.base import NumberFormat, SymmetricRange, check_int, round_to_float_grid, set_field
from chop.nn.quantizers.registry import register_format

MAX_EXPONENT_WIDTH = 8
MAX_WIDTH = 32
#: Every grid value must be a float32 value: exponents within float32's range.
MIN_QUANTUM_EXPONENT = -149
MIN_BINADE_EXPONENT = -126
#: The top exponent code may reach 2**128 (e.g. e=8, bias=127: bfloat16's layout); values of
#: the binade [2**128, 2**129) exceed float32, so the IEEE flavour saturates at float32's top
#: binade, (2 - 2**-m) * 2**127 (bfloat16's largest finite value).
MAX_TOP_EXPONENT, MAX_FLOAT32_BINADE = 128, 127


@dataclass(frozen=True)
class _Minifloat(SymmetricRange, NumberFormat):
    """Fields and checks shared by both minifloat flavours."""

    width: int
    exponent_width: int
    exponent_bias: int | None = None
    min_mantissa_width: ClassVar[int] = 0

    def __post_init__(self):
        check_int(self, "width", 2, MAX_WIDTH)
        check_int(self, "exponent_width", 1, min(MAX_EXPONENT_WIDTH, self.width - 1))
        if self.mantissa_width < self.min_mantissa_width:
            raise ConfigError(
                f"{self.name}: exponent_width={self.exponent_width} leaves "
                f"{self.mantissa_width} mantissa bits of width={self.width}; it needs at least "
                f"{self.min_mantissa_width}."
            )
        if self.exponent_bias is None:
            set_field(self, "exponent_bias", 2 ** (self.exponent_width - 1) - 1)
        check_int(self, "exponent_bias")
        fraction_bits, min_exponent, _ = self._grid()
        top = self.top_exponent
        if (min_exponent < MIN_BINADE_EXPONENT or top > MAX_TOP_EXPONENT
                or min_exponent - fraction_bits < MIN_QUANTUM_EXPONENT):
            raise ConfigError(
                f"{self.name}: exponent_bias={self.exponent_bias} puts the grid outside float32 "
                f"(exponents {min_exponent - fraction_bits}..{top}); choose a bias nearer "
                f"{2 ** (self.exponent_width - 1) - 1}."
            )

    @property
    def mantissa_width(self) -> int:
        return self.width - 1 - self.exponent_width

    @property
    def top_exponent(self) -> int:
        """The exponent of the largest exponent code, 2**exponent_width - 1 - bias."""
        return 2**self.exponent_width - 1 - self.exponent_bias

    def _grid(self) -> tuple[int, int, float]:
        """(fraction bits per binade, lowest binade exponent, largest value)."""
        raise NotImplementedError

    @property
    def max_value(self) -> float:
        return self._grid()[2]

    def _quantize(self, x: torch.Tensor) -> torch.Tensor:
        return round_to_float_grid(x, *self._grid())

    @property
    def bits(self) -> int:
        return self.width

    @property
    def type(self) -> str:
        return self.name

    @property
    def precision(self) -> list[int]:
        return [self.width, self.exponent_width, self.exponent_bias]

    def __str__(self) -> str:
        return f"{self.name}({self.width}, e={self.exponent_width}, bias={self.exponent_bias})"


@register_format("minifloat_ieee")
@dataclass(frozen=True)
class MinifloatIEEEFormat(_Minifloat):
    """IEEE-style minifloat with subnormals, saturating, no inf/NaN codes."""

    name: ClassVar[str] = "minifloat_ieee"

    def _grid(self) -> tuple[int, int, float]:
        m, top = self.mantissa_width, min(self.top_exponent, MAX_FLOAT32_BINADE)
        return m, 1 - self.exponent_bias, (2.0 - 2.0**-m) * 2.0**top


@register_format("minifloat_denorm")
@dataclass(frozen=True)
class MinifloatDenormFormat(_Minifloat):
    """Minifloat without an implicit leading one: value = k/2**m * 2**(c - bias)."""

    name: ClassVar[str] = "minifloat_denorm"
    min_mantissa_width: ClassVar[int] = 1

    def _grid(self) -> tuple[int, int, float]:
        m = self.mantissa_width
        return m - 1, -self.exponent_bias - 1, (1.0 - 2.0**-m) * 2.0**self.top_exponent


def minifloat_ieee_quantizer(x: torch.Tensor, width: int, exponent_width: int,
                             exponent_bias: int | None = None) -> torch.Tensor:
    """Quantize `x` to an IEEE-style minifloat (see `MinifloatIEEEFormat`)."""
    return MinifloatIEEEFormat(width, exponent_width, exponent_bias).quantize(x)


def minifloat_denorm_quantizer(x: torch.Tensor, width: int, exponent_width: int,
                               exponent_bias: int | None = None) -> torch.Tensor:
    """Quantize `x` to a minifloat without implicit one (see `MinifloatDenormFormat`)."""
    return MinifloatDenormFormat(width, exponent_width, exponent_bias).quantize(x)

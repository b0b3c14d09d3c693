"""Logarithmic numbers: signed powers of two and zero.

A `width`-bit code is a sign bit and a (width-1)-bit exponent code c:
    c == 0:  0
    c >= 1:  ±2**(c - exponent_bias)       c = 1 .. 2**(width-1) - 1
so the magnitudes are 2**k for k in [1 - bias, 2**(width-1) - 1 - bias]; the default bias is
2**(width-2), which centres the range on 1 (width=4: 1/8 .. 8).

Rounding is in the log domain: k = round(log2|x|), to the nearest power of two by ratio (there
are no ties: log2|x| is never exactly an odd multiple of 1/2). k above the top saturates to the
largest magnitude; k below the lowest gives 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import torch

from chop.errors import ConfigError
from chop.nn.quantizers.base import (
    NumberFormat,
    SymmetricRange,
    binade_exponent,
    check_int,
    fraction_bits,
    pow2,
    set_field,
)
from chop.nn.quantizers.registry import register_format

MAX_WIDTH = 9  # 8 exponent bits: powers 2**-127 .. 2**127 already cover float32
#: The fraction bits of the float32 / float64 nearest to sqrt(2) (below / above sqrt(2)).
SQRT2_FRACTION_FLOAT32 = int(np.array(math.sqrt(2), np.float32).view(np.int32)) & 0x7FFFFF
SQRT2_FRACTION_FLOAT64 = int(np.array(math.sqrt(2), np.float64).view(np.int64)) & ((1 << 52) - 1)
#: Lowest power: every float32 subnormal (< 2**-126) must round to 0.
MIN_POWER = -125


def nearest_power(magnitude: torch.Tensor) -> torch.Tensor:
    """round(log2 m) for non-negative normal m, as int32: the power of two nearest by ratio.

    m = 1.f * 2**e; log2 m = e + log2(1.f) rounds up when 1.f > sqrt(2). sqrt(2) is irrational,
    so comparing the fraction bits with those of the float next to it is exact. Subnormals
    (and 0) read as e = -127 (float32) / -1023 (float64).
    """
    exponent = binade_exponent(magnitude)
    fraction = fraction_bits(magnitude)
    if magnitude.dtype == torch.float64:
        round_up = fraction >= SQRT2_FRACTION_FLOAT64  # float64's sqrt(2) is above it
    else:
        round_up = fraction > SQRT2_FRACTION_FLOAT32  # float32's sqrt(2) is below it
    return exponent.add_(round_up)


@register_format("log")
@dataclass(frozen=True)
class LogFormat(SymmetricRange, NumberFormat):
    """Sign + exponent code: values 0 and ±2**k, k in [min_exponent, max_exponent]."""

    name: ClassVar[str] = "log"

    width: int
    exponent_bias: int | None = None

    def __post_init__(self):
        check_int(self, "width", 2, MAX_WIDTH)
        if self.exponent_bias is None:
            set_field(self, "exponent_bias", 2 ** (self.width - 2))
        check_int(self, "exponent_bias")
        if self.min_exponent < MIN_POWER or self.max_exponent > 127:
            raise ConfigError(
                f"log: exponent_bias={self.exponent_bias} gives powers 2**{self.min_exponent} .. "
                f"2**{self.max_exponent}, outside 2**{MIN_POWER} .. 2**127."
            )

    @property
    def min_exponent(self) -> int:
        return 1 - self.exponent_bias

    @property
    def max_exponent(self) -> int:
        return 2 ** (self.width - 1) - 1 - self.exponent_bias

    @property
    def max_value(self) -> float:
        return 2.0**self.max_exponent

    def _quantize(self, x: torch.Tensor) -> torch.Tensor:
        magnitude = x.abs().clamp_(max=self.max_value)
        power = nearest_power(magnitude)
        keep = power >= self.min_exponent
        power.clamp_(self.min_exponent, self.max_exponent)
        values = torch.copysign(pow2(power, x.dtype), x)
        return values.mul_(keep)

    @property
    def bits(self) -> int:
        return self.width

    @property
    def type(self) -> str:
        return "log"

    @property
    def precision(self) -> list[int]:
        return [self.width, self.exponent_bias]

    def __str__(self) -> str:
        return f"log({self.width}, bias={self.exponent_bias})"


def log_quantizer(x: torch.Tensor, width: int, exponent_bias: int | None = None) -> torch.Tensor:
    """Quantize `x` to signed powers of two (see `LogFormat`)."""
    return LogFormat(width, exponent_bias).quantize(x)

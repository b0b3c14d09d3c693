"""Fixed-point ("integer") numbers: width w, frac_width f, signed or unsigned, saturating.

    q(x) = clamp(round(x * 2**f), lo, hi) / 2**f
    signed:   lo = -2**(w-1), hi = 2**(w-1) - 1      (w=2, f=2: {-0.5, -0.25, 0, 0.25})
    unsigned: lo = 0,         hi = 2**w - 1

`round` is half-to-even ("nearest_even", the default; `torch.round`) or "floor". Registered as
"integer" and as its alias "fixed"; its metadata type is "fixed", precision [width, frac_width].

Straight-through gradient, the same in every dtype: it passes where x *rounds* into the integer
range, lo <= round(x * 2**f) <= hi, i.e. on [min_value - step/2, max_value + step/2) for
nearest-even (the ends follow the ties: the lower end is kept, the upper end is not, for
width >= 2) and on [min_value, max_value + step) for floor (PyTorch's fake-quant rule).

Speed: float32 and float64 round-half-even (the QAT hot path) run `fast_fixed_point`
(`fixed_fast.py`): four vectorised in-place passes forward, one fused masked copy backward.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import ClassVar

import torch

from chop.nn.quantizers.base import (
    ClippedRange,
    NumberFormat,
    check_bool,
    check_choice,
    check_int,
    compute_dtype,
)
from chop.nn.quantizers.fixed_fast import FastBounds, fast_bounds, fast_fixed_point
from chop.nn.quantizers.registry import register_format

ROUNDINGS = ("nearest_even", "floor")

#: frac_width may be any integer that keeps the step 2**-frac_width and the largest value
#: int_max * 2**-frac_width normal float32 numbers, so every grid value is exact in float32.
MIN_FRAC_WIDTH, MAX_FRAC_WIDTH = -64, 126
MAX_WIDTH = 32


@register_format("integer", "fixed")
@dataclass(frozen=True)
class IntegerFormat(ClippedRange, NumberFormat):
    """Saturating fixed point: `width` bits of which `frac_width` are fractional."""

    name: ClassVar[str] = "integer"

    width: int
    frac_width: int
    is_signed: bool = True
    rounding: str = "nearest_even"

    def __post_init__(self):
        check_int(self, "width", 1, MAX_WIDTH)
        check_int(self, "frac_width", MIN_FRAC_WIDTH, MAX_FRAC_WIDTH,
                  hint=" The step 2**-frac_width must be a normal float32 number.")
        check_bool(self, "is_signed")
        check_choice(self, "rounding", ROUNDINGS)

    @property
    def int_min(self) -> int:
        return -(2 ** (self.width - 1)) if self.is_signed else 0

    @property
    def int_max(self) -> int:
        return 2 ** (self.width - 1) - 1 if self.is_signed else 2**self.width - 1

    @property
    def min_value(self) -> float:
        return self.int_min * 2.0**-self.frac_width

    @property
    def max_value(self) -> float:
        return self.int_max * 2.0**-self.frac_width

    def quantize(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        """As `NumberFormat.quantize`; float32/float64 round-half-even take the fast path
        (same values and gradient bit for bit, see `fixed_fast.py`)."""
        if isinstance(x, torch.Tensor) and not kwargs:
            bounds = self._fast_bounds.get(x.dtype)
            if bounds is not None:
                return fast_fixed_point(x, bounds)
        return super().quantize(x, **kwargs)

    @functools.cached_property
    def _fast_bounds(self) -> dict[torch.dtype, FastBounds]:
        """The fast path's constants per dtype, worked out once per spec (empty: no fast path)."""
        if self.rounding != "nearest_even":
            return {}
        found = {dtype: fast_bounds(self.int_min, self.int_max, self.frac_width, dtype)
                 for dtype in (torch.float32, torch.float64)}
        return {dtype: bounds for dtype, bounds in found.items() if bounds is not None}

    def _round_scaled(self, x: torch.Tensor) -> torch.Tensor:
        """round(x * 2**frac_width), unclamped: the integer x rounds to."""
        scaled = x * 2.0**self.frac_width
        if self.rounding == "nearest_even":
            return scaled.round_()
        # A tiny negative x whose scaled value underflows to -0 still floors to -1.
        return torch.where((x < 0) & (scaled == 0), -1.0, scaled.floor_())

    def _quantize(self, x: torch.Tensor) -> torch.Tensor:
        rounded = self._round_scaled(x)
        return rounded.clamp_(self.int_min, self.int_max).mul_(2.0**-self.frac_width)

    @property
    def step(self) -> float:
        return 2.0**-self.frac_width

    @property
    def grad_range(self) -> tuple[float, float]:
        """The ends of the interval where x rounds into the range (see the module docstring for
        which end is included)."""
        if self.rounding == "nearest_even":
            return (self.min_value - self.step / 2, self.max_value + self.step / 2)
        return (self.min_value, self.max_value + self.step)

    def grad_mask(self, x: torch.Tensor) -> torch.Tensor:
        """lo <= round(x * 2**frac_width) <= hi, computed as the forward pass rounds."""
        rounded = self._round_scaled(x.to(compute_dtype(x)))
        return rounded.clamp(self.int_min, self.int_max) == rounded

    @property
    def bits(self) -> int:
        return self.width

    @property
    def type(self) -> str:
        return "fixed"

    @property
    def precision(self) -> list[int]:
        return [self.width, self.frac_width]

    def __str__(self) -> str:
        extra = "" if self.is_signed else ", unsigned"
        extra += "" if self.rounding == "nearest_even" else f", {self.rounding}"
        return f"integer({self.width}, {self.frac_width}{extra})"


def integer_quantizer(x: torch.Tensor, width: int, frac_width: int, is_signed: bool = True,
                      rounding: str = "nearest_even") -> torch.Tensor:
    """Quantize `x` to saturating fixed point (see `IntegerFormat`); straight-through grad."""
    return IntegerFormat(width, frac_width, is_signed, rounding).quantize(x)

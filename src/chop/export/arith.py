"""Fixed-point arithmetic on int64 tensors: the integer twins of the `integer` quantizer.

A fixed-point value is an integer tensor `a` plus a frac width `F`: it stands for `a * 2**-F`.
The fake-quantized model computes in float32 on such values; the integer program computes on
`a` directly. The two meet at three places:

- `to_integers(spec, x)`: the integers of `spec(x)` (the very same quantizer, then scaled by
  `2**f`, which is exact), so the program's input is quantized exactly as the fake model's.
- `requantize(a, F, spec)`: what `spec` does to the float value `a * 2**-F`:
  `clamp(round(a * 2**(f - F)))`. For `f >= F` it is a left shift; for `f < F` it is a rounding
  right shift by `F - f` (`rounding_right_shift`), round-half-to-even or floor as the spec says,
  then the saturating clamp to the spec's integer range. Scaling a float by a power of two is
  exact, so this equals the float quantizer whenever the float value itself was exact.
- `dequantize(a, F)`: `a * 2**-F` as a float tensor (exact while |a| < 2**24 for float32).
"""

from __future__ import annotations

import torch

from chop.nn.quantizers import IntegerFormat

ROUNDINGS = ("nearest_even", "floor")


def rounding_right_shift(a: torch.Tensor, shift: int,
                         rounding: str = "nearest_even") -> torch.Tensor:
    """`round(a / 2**shift)` for an integer tensor, exactly; `shift >= 0`.

    "nearest_even": round half to even (ties go to the even neighbour, as `torch.round`);
    "floor": the arithmetic right shift (rounds towards minus infinity).
    """
    if shift < 0:
        raise ValueError(f"rounding_right_shift needs shift >= 0, got {shift}.")
    if rounding not in ROUNDINGS:
        raise ValueError(f"rounding must be one of {ROUNDINGS}, got {rounding!r}.")
    if shift == 0:
        return a.clone()
    floor = a >> shift
    if rounding == "floor":
        return floor
    remainder = a - (floor << shift)  # in [0, 2**shift)
    half = 1 << (shift - 1)
    round_up = (remainder > half) | ((remainder == half) & ((floor & 1) == 1))
    return floor + round_up.to(a.dtype)


def shift_left_or_right(a: torch.Tensor, shift: int,
                        rounding: str = "nearest_even") -> torch.Tensor:
    """`a * 2**shift` rounded: a left shift for shift >= 0, a rounding right shift otherwise."""
    return a << shift if shift >= 0 else rounding_right_shift(a, -shift, rounding)


def requantize(a: torch.Tensor, frac: int, spec: IntegerFormat) -> torch.Tensor:
    """The integers of `spec(a * 2**-frac)`: shift to `spec.frac_width`, round, saturate."""
    shifted = shift_left_or_right(a, spec.frac_width - frac, spec.rounding)
    return shifted.clamp_(spec.int_min, spec.int_max)


def to_integers(spec: IntegerFormat, x: torch.Tensor) -> torch.Tensor:
    """The int64 integers `n` with `spec(x) == n * 2**-spec.frac_width` (exact)."""
    quantized = spec.quantize(x.detach())
    scaled = quantized.to(torch.float64) * 2.0**spec.frac_width
    return scaled.to(torch.int64)


def dequantize(a: torch.Tensor, frac: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """`a * 2**-frac` as `dtype` (computed in float64, then rounded once to `dtype`)."""
    return (a.to(torch.float64) * 2.0**-frac).to(dtype)


def magnitude_bound(spec: IntegerFormat) -> int:
    """The largest |n| that `spec`'s integers can take."""
    return max(abs(spec.int_min), abs(spec.int_max))

"""What every number format shares: the spec protocol, field checks, exact power-of-two scaling
and the straight-through estimator.

A number format is a frozen dataclass (a *spec*) that subclasses `NumberFormat`. It validates
its fields in `__post_init__` (a `ConfigError` naming the field), and `spec.quantize(x)` (or
`spec(x)`) returns `x` rounded onto the format's grid with a straight-through gradient.

Arithmetic: half-precision inputs are quantized in float32 (float64 inputs in float64) and the
result is cast back to the input dtype. A grid value that the input dtype cannot hold exactly
(e.g. a 16-bit fixed-point value in bfloat16) is then rounded by that final cast; a grid value
beyond the dtype's largest finite value is never made: saturating formats saturate at their
largest grid value that the dtype holds (minifloat 8/5 in float16: 57344, not inf).

NaN in gives NaN out, in every format and dtype, and touches nothing else (a NaN never changes
a block's shared scale).

Gradient (straight-through estimator): the backward pass is the identity where `x` lies inside
the format's `grad_range` and zero outside it, where the output saturates (the "clipped" STE).
For most formats that range is `[min_value, max_value]`; fixed point passes the gradient where
x *rounds* into its integer range (see `IntegerFormat.grad_range`), in every dtype. Formats
without a fixed range (block formats, ternary) pass the gradient everywhere.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import torch

from chop.errors import ConfigError, did_you_mean

# --------------------------------------------------------------------------------------------
# Field checks used by the specs' __post_init__.


def check_int(spec: Any, field: str, lo: int | None = None, hi: int | None = None,
              hint: str = "") -> int:
    """Return `spec.<field>` after checking that it is an int within [lo, hi]."""
    value = getattr(spec, field)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{spec.name}: {field}={value!r} must be an integer.{hint}")
    if lo is not None and value < lo:
        raise ConfigError(f"{spec.name}: {field}={value} must be at least {lo}.{hint}")
    if hi is not None and value > hi:
        raise ConfigError(f"{spec.name}: {field}={value} must be at most {hi}.{hint}")
    return value


def check_bool(spec: Any, field: str) -> bool:
    value = getattr(spec, field)
    if not isinstance(value, bool):
        raise ConfigError(f"{spec.name}: {field}={value!r} must be true or false.")
    return value


def check_choice(spec: Any, field: str, choices: tuple[str, ...]) -> str:
    value = getattr(spec, field)
    if value not in choices:
        raise ConfigError(
            f"{spec.name}: {field}={value!r} is not valid.{did_you_mean(str(value), choices)}"
        )
    return value


def check_real(spec: Any, field: str, *, positive: bool = False, allow_none: bool = False,
               words: tuple[str, ...] = ()) -> float | str | None:
    """Check a real-valued field; `words` lists the strings it may also hold (e.g. "mean")."""
    value = getattr(spec, field)
    if value is None and allow_none:
        return None
    if isinstance(value, str) and value in words:
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        allowed = " or ".join([repr(w) for w in words] + ["a number"])
        raise ConfigError(f"{spec.name}: {field}={value!r} must be {allowed}.")
    if positive and not value > 0:
        raise ConfigError(f"{spec.name}: {field}={value} must be positive.")
    return float(value)


def set_field(spec: Any, field: str, value: Any) -> None:
    """Fill a derived default (e.g. the exponent bias) on a frozen spec during __post_init__."""
    object.__setattr__(spec, field, value)


# --------------------------------------------------------------------------------------------
# Exact arithmetic helpers.


def compute_dtype(x: torch.Tensor) -> torch.dtype:
    """float64 stays float64; everything else is quantized in float32."""
    return torch.float64 if x.dtype == torch.float64 else torch.float32


#: Integer exponents k for which 2**k is a normal float32 (and so built exactly from bits).
NORMAL_EXPONENTS = (-126, 127)


def pow2(k: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """2**k built from its bit pattern (exact), for integer k in NORMAL_EXPONENTS."""
    if dtype == torch.float64:
        return (k.to(torch.int64) + 1023).bitwise_left_shift_(52).view(torch.float64)
    return (k.to(torch.int32) + 127).bitwise_left_shift_(23).view(torch.float32)


def mul_pow2(x: torch.Tensor, k: torch.Tensor, k_min: int, k_max: int) -> torch.Tensor:
    """x * 2**k for an integer tensor k (broadcastable to x) with k_min <= k <= k_max.

    Exact whenever the result is representable. When 2**k may leave the normal range (e.g.
    scaling a subnormal up by 2**140) the factor is applied in two halves; |k| <= 252.
    """
    lo, hi = NORMAL_EXPONENTS
    if lo <= k_min and k_max <= hi:
        return x * pow2(k, x.dtype)
    half = k >> 1
    return x * pow2(half, x.dtype) * pow2(k - half, x.dtype)


def binade_exponent(x: torch.Tensor) -> torch.Tensor:
    """floor(log2|x|) for normal x, read from the exponent bits (int32).

    Zero and subnormals give -127 (float32) / -1023 (float64): callers clamp from below at an
    exponent >= -126, where that is the right answer for them too.
    """
    if x.dtype == torch.float64:
        return ((x.view(torch.int64) >> 52) & 0x7FF).to(torch.int32) - 1023
    return ((x.view(torch.int32) >> 23) & 0xFF) - 127


def fraction_bits(x: torch.Tensor) -> torch.Tensor:
    """The stored fraction (mantissa) bits of x, as int32 (float32) or int64 (float64)."""
    if x.dtype == torch.float64:
        return x.view(torch.int64) & ((1 << 52) - 1)
    return x.view(torch.int32) & 0x7FFFFF


def round_to_float_grid(x: torch.Tensor, fraction_bits: int, min_exponent: int,
                        max_value: float) -> torch.Tensor:
    """Round to the nearest value of a floating-point grid, ties to even, saturating.

    The grid: in each binade [2**e, 2**(e+1)) with e >= min_exponent (>= -126) there are
    2**fraction_bits evenly spaced values (spacing 2**(e - fraction_bits)); below
    2**min_exponent the spacing stays 2**(min_exponent - fraction_bits) (subnormals).
    `max_value` must be on the grid.
    """
    clipped = x.clamp(-max_value, max_value)
    quantum = binade_exponent(clipped).clamp_(min=min_exponent).sub_(fraction_bits)
    lowest, highest = min_exponent - fraction_bits, math.floor(math.log2(max_value)) - fraction_bits
    scaled = mul_pow2(clipped, -quantum, -highest, -lowest).round_()
    return mul_pow2(scaled, quantum, lowest, highest)


# --------------------------------------------------------------------------------------------
# The straight-through estimator.


class _StraightThrough(torch.autograd.Function):
    """Forward: the quantized tensor. Backward: identity, masked to the elements where
    `grad_mask(x)` is true.

    The rounding runs inside `forward`, so its result is a tensor of its own, not an input
    returned as is: an in-place op after it (ReLU(inplace=True)) then keeps a correct gradient.
    """

    @staticmethod
    def forward(ctx, x, rounding, grad_mask):
        ctx.grad_mask = grad_mask
        ctx.save_for_backward(x if grad_mask is not None else None)
        return rounding(x)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        if x is None:
            return grad_output, None, None
        return grad_output * ctx.grad_mask(x.detach()), None, None


def range_mask(lo: float, hi: float) -> Callable[[torch.Tensor], torch.Tensor]:
    """x -> (lo <= x <= hi), the mask of the clipped straight-through estimator."""

    def mask(x: torch.Tensor) -> torch.Tensor:
        return x.clamp(lo, hi) == x  # (torch.where/masked_fill are slow on CPU)

    return mask


def straight_through(x: torch.Tensor, rounding: Callable[[torch.Tensor], torch.Tensor],
                     grad_mask: Callable[[torch.Tensor], torch.Tensor] | None) -> torch.Tensor:
    """`rounding(x)` in the forward pass; the gradient flows to `x` where `grad_mask(x)`
    (everywhere when it is None)."""
    if not (torch.is_grad_enabled() and x.requires_grad):
        with torch.no_grad():
            return rounding(x)
    return _StraightThrough.apply(x, rounding, grad_mask)


def keep_nan(x: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """`out` with NaN wherever `x` is NaN (x and out of one shape).

    A sum is NaN when any term is (and, harmlessly, when +inf meets -inf): one read-only pass
    decides whether the masking pass is needed at all.
    """
    if torch.isnan(x.detach().sum()):
        return torch.where(torch.isnan(x), x.detach(), out)
    return out


@functools.lru_cache(maxsize=256)
def grid_limits_in(spec: NumberFormat, dtype: torch.dtype) -> tuple[float, float] | None:
    """(lowest, highest) grid values of a saturating `spec` that `dtype` holds as finite
    numbers, when its grid reaches beyond them (None otherwise).

    Found by bisection over float32 magnitudes: the grid is monotone in x, so the largest x
    whose quantized value is still finite in `dtype` gives the largest such grid value.
    """
    top = float(torch.finfo(dtype).max)
    if not (spec.max_value > top or spec.min_value < -top):
        return None

    def quantized(value: float) -> float:
        return float(spec._quantize(torch.tensor([value], dtype=torch.float32))[0])

    def last_inside(sign: float) -> float:
        lo, hi = 0, int(torch.tensor(top, dtype=torch.float32).view(torch.int32))
        while lo < hi:  # invariant: |quantized(sign * f(lo))| <= top
            mid = (lo + hi + 1) // 2
            value = float(torch.tensor(mid, dtype=torch.int32).view(torch.float32))
            if abs(quantized(sign * value)) <= top:
                lo = mid
            else:
                hi = mid - 1
        return quantized(sign * float(torch.tensor(lo, dtype=torch.int32).view(torch.float32)))

    return last_inside(-1.0), last_inside(1.0)


# --------------------------------------------------------------------------------------------
# The spec protocol.


@dataclass(frozen=True)
class NumberFormat:
    """Base of all number-format specs. Subclasses are frozen dataclasses registered by name.

    Subclasses define `name` (the registry name), `_quantize(x)` (the forward rounding on a
    float32/float64 tensor), `bits`, `type`, `precision` and `__str__`; optional `grad_range`.
    """

    name: ClassVar[str] = "number format"

    # -- to be provided by each format --------------------------------------------------------
    def _quantize(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        raise NotImplementedError

    @property
    def bits(self) -> float:
        """Storage bits per element (block formats include their shared scale, amortised)."""
        raise NotImplementedError

    def storage_bits(self, shape: tuple[int, ...] | list[int] | None) -> float:
        """Storage bits per element of a tensor of `shape` (block formats count the scales
        that tensor really stores, partial blocks included); `bits` for the others."""
        return self.bits

    @property
    def type(self) -> str:
        """The metadata `type` string of this format (e.g. "fixed")."""
        raise NotImplementedError

    @property
    def precision(self) -> list:
        """The metadata `precision` list of this format (e.g. [width, frac_width])."""
        raise NotImplementedError

    @property
    def grad_range(self) -> tuple[float, float] | None:
        """Where the straight-through gradient is 1 (None: everywhere)."""
        return None

    def grad_mask(self, x: torch.Tensor) -> torch.Tensor | None:
        """Where the straight-through gradient passes, as a bool tensor like `x` (None:
        everywhere); the default reads `grad_range`, ends included."""
        bounds = self.grad_range
        return None if bounds is None else range_mask(*bounds)(x)

    # -- shared behaviour -----------------------------------------------------------------------
    def quantize(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        """x rounded onto this format's grid; same dtype and device; straight-through grad."""
        if not isinstance(x, torch.Tensor):
            x = torch.as_tensor(x, dtype=torch.get_default_dtype())
        if not x.is_floating_point():
            raise TypeError(f"{self.name}: expected a floating-point tensor, got {x.dtype}.")
        def rounding(t: torch.Tensor) -> torch.Tensor:
            if t.numel() == 0:
                return t.detach().clone()
            work = t.detach().to(compute_dtype(t))
            out = keep_nan(work, self._quantize(work, **kwargs))
            if work.dtype != t.dtype and isinstance(self, ClippedRange):
                limits = grid_limits_in(self, t.dtype)
                if limits is not None:
                    out = out.clamp_(*limits)
            return out.to(t.dtype)

        mask = None if self.grad_range is None else self.grad_mask
        return straight_through(x, rounding, mask)

    def __call__(self, x: torch.Tensor, **kwargs) -> torch.Tensor:
        return self.quantize(x, **kwargs)

    def to_dict(self) -> dict[str, Any]:
        """{"name": ..., field: value, ...}: JSON/TOML-friendly, inverse of `from_dict`."""
        out: dict[str, Any] = {"name": self.name}
        out.update({f.name: getattr(self, f.name) for f in dataclasses.fields(self)})
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NumberFormat:
        """Rebuild a spec from `to_dict()` output; on the base class, dispatch on "name"."""
        from chop.nn.quantizers.registry import get_format

        data = dict(data)
        name = data.pop("name", None)
        target = cls
        if cls is NumberFormat or "name" not in cls.__dict__:
            if name is None:
                raise ConfigError("A number-format dict needs a 'name' key.")
            target = get_format(name)
        elif name is not None and get_format(name) is not cls:
            raise ConfigError(f"{cls.__name__}.from_dict got a dict for format '{name}'.")
        return target.from_fields(data)

    @classmethod
    def from_fields(cls, values: dict[str, Any]) -> NumberFormat:
        """cls(**values), but an unknown field is a ConfigError naming it."""
        known = cls.field_names()
        for key in values:
            if key not in known:
                raise ConfigError(
                    f"{cls.name}: unknown field '{key}'.{did_you_mean(key, known)}"
                )
        return cls(**values)

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def required_fields(cls) -> list[str]:
        """Fields without a default: a config must give them."""
        return [f.name for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]


class ClippedRange:
    """For formats with a representable range: the gradient passes inside
    `[min_value, max_value]` and is zero outside, where the output saturates."""

    @property
    def grad_range(self) -> tuple[float, float]:
        return (self.min_value, self.max_value)


class SymmetricRange(ClippedRange):
    """For sign-magnitude formats: the range is `[-max_value, max_value]`."""

    @property
    def min_value(self) -> float:
        return -self.max_value

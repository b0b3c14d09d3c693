"""The fixed-point hot path of QAT: round-half-even fixed point in float32/float64, fast.

PyTorch's fused fake-quant kernel is a scalar loop (~10 ns an element here, 15x a vectorised
pass) and turns NaN into int_min, so a quantized training step spent more time rounding than
multiplying. Here the same values come from four vectorised passes, clamp first:

    q = round(clamp(x, A', B') * 2**f) * 2**-f

where [A', B'] is the set of x that round into [int_min, int_max]: its ends are
A = (int_min - 1/2) * 2**-f and B = (int_max + 1/2) * 2**-f, kept when the tie there rounds
inward (to an even integer), else moved one ulp inward. Clamping to it before rounding equals
clamping the rounded integer (rounding is monotone), NaN propagates through every pass (NaN in,
NaN out, without a check), and the gradient range is [A', B'] by construction: the backward
pass is one fused masked copy, `hardtanh_backward` with the open interval just outside
[A', B'] (zero at NaN inputs, as in every other dtype).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch


class FastBounds(NamedTuple):
    """Constants of one (spec, dtype), exact in that dtype; the scales as 0-d tensors of the
    dtype (an in-place multiply by a Python float first wraps and casts it: twice the cost
    on small tensors), the clamp ends as floats (clamp's tensor-bound kernel is not
    vectorised)."""

    clip_lo: float  # A'
    clip_hi: float  # B'
    scale_up: torch.Tensor  # 2**f
    scale_down: torch.Tensor  # 2**-f
    grad_lo: float  # the largest value below A'
    grad_hi: float  # the smallest value above B'


def _neighbour(value: float, toward: float, dtype: torch.dtype) -> float:
    return float(torch.nextafter(torch.tensor(value, dtype=dtype), torch.tensor(toward, dtype=dtype)))


def _is_exact_normal(value: float, dtype: torch.dtype) -> bool:
    """`value` is a finite normal number of `dtype`, held exactly."""
    info = torch.finfo(dtype)
    held = float(torch.tensor(value, dtype=dtype))
    return held == value and info.tiny <= abs(value) <= info.max


def fast_bounds(int_min: int, int_max: int, frac_width: int,
                dtype: torch.dtype) -> FastBounds | None:
    """The fast path's constants, or None where it would not be exact in `dtype` (very wide
    formats, steps outside the normal range): the generic path then runs."""
    inf = float("inf")
    scale_up, scale_down = 2.0**frac_width, 2.0**-frac_width
    low_tie, high_tie = (int_min - 0.5) * scale_down, (int_max + 0.5) * scale_down
    needed = (scale_up, scale_down, int_min - 0.5, int_max + 0.5, low_tie, high_tie)
    if not all(_is_exact_normal(v, dtype) for v in needed):
        return None
    if int_min % 2 == 0:  # the tie at the low end rounds to int_min: inside
        clip_lo, grad_lo = low_tie, _neighbour(low_tie, -inf, dtype)
    else:
        clip_lo, grad_lo = _neighbour(low_tie, inf, dtype), low_tie
    if int_max % 2 == 0:
        clip_hi, grad_hi = high_tie, _neighbour(high_tie, inf, dtype)
    else:
        clip_hi, grad_hi = _neighbour(high_tie, -inf, dtype), high_tie
    return FastBounds(clip_lo, clip_hi, torch.tensor(scale_up, dtype=dtype),
                      torch.tensor(scale_down, dtype=dtype), grad_lo, grad_hi)


def fast_round(x: torch.Tensor, b: FastBounds) -> torch.Tensor:
    """The forward values alone (a new tensor; `x` is not changed)."""
    return x.clamp(b.clip_lo, b.clip_hi).mul_(b.scale_up).round_().mul_(b.scale_down)


class _FixedPoint(torch.autograd.Function):
    """Forward: `fast_round`. Backward: the gradient where x lies in [A', B'], else zero."""

    @staticmethod
    def forward(ctx, x, bounds):
        ctx.save_for_backward(x)
        ctx.bounds = bounds
        return fast_round(x, bounds)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        bounds = ctx.bounds
        grad = torch.ops.aten.hardtanh_backward(grad_output, x, bounds.grad_lo, bounds.grad_hi)
        # hardtanh_backward's vector loop zeroes NaN inputs, its scalar loop does not: one
        # read-only sum decides whether any NaN (or +inf meeting -inf) needs the fix-up.
        if math.isnan(x.sum()):
            grad = grad.masked_fill_(torch.isnan(x), 0.0)
        return grad, None


def fast_fixed_point(x: torch.Tensor, bounds: FastBounds) -> torch.Tensor:
    """Fixed point of `x` (float32/float64, the dtype `bounds` were made for) with the
    straight-through gradient on [A', B']."""
    if x.requires_grad and torch.is_grad_enabled():
        return _FixedPoint.apply(x, bounds)
    return fast_round(x, bounds)

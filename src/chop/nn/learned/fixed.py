"""Learned fixed point: a fixed-point operand whose fractional width (and optionally its width)
is trained with the network, then frozen to an `IntegerFormat` for bit-exact integer export.

The forward pass is exactly `IntegerFormat(width, frac_width)` at the current *rounded* widths,
so a frozen model computes what the trained one did. The widths are two real parameters in bits:

    frac       the fractional bits f: the step is 2**-round(f) (a power of two, as LSQ with
               power-of-two steps; the integer export needs exactly that)
    int_bits   the integer bits i (only when the width is learned): the range is about 2**round(i)
               and the width is round(i) + round(f) + 1 sign bit (unsigned: no sign bit)

Gradients (straight-through for x, learned-step-size for the widths; LSQ, Esser et al. 2020, with
the step 2**-f; the same surrogate HGQ uses for its fractional bits):
    d q / d x  = 1 where x rounds into range, else 0 (as `IntegerFormat`)
    d q / d f  = -ln2 * (q - x) where x rounds into range (finer steps shrink the rounding error);
                 with a fixed width, clipped values also get -ln2 * q (a finer step lowers the range)
    d q / d i  = ln2 * q where x is clipped (more integer bits widen the range), else 0
A bit-cost penalty on the width (see `penalty.py`) pulls both f and i down; the loss pulls them up
where rounding or clipping hurts, so training finds per-tensor widths (as HGQ does for hls4ml).
"""

from __future__ import annotations

import functools
import math
from typing import Any

import torch
from torch import nn

from chop.errors import ConfigError
from chop.nn.quantizers.base import compute_dtype
from chop.nn.quantizers.fixed_fast import FastBounds, fast_bounds, fast_round
from chop.nn.quantizers.integer import MAX_FRAC_WIDTH, MAX_WIDTH, MIN_FRAC_WIDTH, IntegerFormat

LN2 = math.log(2.0)
NAME = "learned_integer"
#: Default learning rates (about bits per step with Adam): learned widths move several bits
#: towards their budget within a short QAT; a learned step at a fixed width only fine-tunes
#: its calibrated start (0.05 there cost 0.0018 accuracy on the Brevitas benchmark's 4-bit mlp).
WIDTH_LR, FRAC_LR = 0.05, 0.01
#: Learned widths stay within these bounds (a 1-bit signed operand is {-step, 0}: useless).
MIN_LEARNED_WIDTH = 2


class _LearnedRound(torch.autograd.Function):
    """q = IntegerFormat(width, frac)(x) with the gradients of the module docstring (any dtype
    and rounding; masks and `torch.where`, so slow on CPU: `_FastLearnedRound` is the hot path)."""

    @staticmethod
    def forward(ctx, x, frac, int_bits, spec: IntegerFormat, learn_width: bool):
        work = x.detach().to(compute_dtype(x))
        rounded = spec._round_scaled(work)
        inside = (rounded >= spec.int_min) & (rounded <= spec.int_max)
        q = rounded.clamp_(spec.int_min, spec.int_max).mul_(spec.step)
        q = torch.where(torch.isnan(work), work, q)
        ctx.learn_width = learn_width
        ctx.save_for_backward(work, q, inside)
        return q.to(x.dtype)

    @staticmethod
    def backward(ctx, grad):
        work, q, inside = ctx.saved_tensors
        g = grad.to(q.dtype)
        grad_x = (grad * inside) if ctx.needs_input_grad[0] else None
        error = torch.where(inside, q - work, q if not ctx.learn_width else torch.zeros_like(q))
        grad_frac = -LN2 * torch.nansum(g * error) if ctx.needs_input_grad[1] else None
        grad_int = None
        if ctx.learn_width and ctx.needs_input_grad[2]:
            grad_int = LN2 * torch.nansum(torch.where(inside, torch.zeros_like(q), g * q))
        return (grad_x, None if grad_frac is None else grad_frac.to(torch.float32).reshape(()),
                None if grad_int is None else grad_int.to(torch.float32).reshape(()), None, None)


class _FastLearnedRound(torch.autograd.Function):
    """The same values and gradients for float32/float64 round-half-even, from the fixed-point
    fast path (`fixed_fast`): forward four vectorised passes; backward one fused masked copy
    for x and dot products for the widths, with no mask tensor. With m the pass-through mask,
    g_x = g * m, and  sum(g * m * (q - x)) = g_x . q - g_x . x,
    sum(g * (1 - m) * q) = g . q - g_x . q."""

    @staticmethod
    def forward(ctx, x, frac, int_bits, bounds: FastBounds, learn_width: bool):
        q = fast_round(x.detach(), bounds)
        ctx.bounds, ctx.learn_width = bounds, learn_width
        ctx.save_for_backward(x.detach(), q)
        return q

    @staticmethod
    def backward(ctx, grad):
        x, q = ctx.saved_tensors
        bounds = ctx.bounds
        grad_x = torch.ops.aten.hardtanh_backward(grad, x, bounds.grad_lo, bounds.grad_hi)
        gx_x = torch.dot(grad_x.reshape(-1), x.reshape(-1))
        if math.isnan(gx_x):  # a NaN (or inf) in x: keep it out of the gradients, as the generic path
            nan = torch.isnan(x)  # (the gradient at +-inf is 0 already: outside the range)
            grad_x = grad_x.masked_fill_(nan, 0.0)
            x, q = x.masked_fill(~torch.isfinite(x), 0.0), q.masked_fill(nan, 0.0)
            gx_x = torch.dot(grad_x.reshape(-1), x.reshape(-1))
        g, gx, qs = grad.reshape(-1), grad_x.reshape(-1), q.reshape(-1)
        grad_frac = grad_int = None
        if ctx.learn_width:
            gx_q = torch.dot(gx, qs)
            grad_frac = -LN2 * (gx_q - gx_x)
            if ctx.needs_input_grad[2]:
                grad_int = LN2 * (torch.dot(g, qs) - gx_q)
        else:
            grad_frac = -LN2 * (torch.dot(g, qs) - gx_x)
        return (grad_x if ctx.needs_input_grad[0] else None,
                grad_frac.to(torch.float32) if ctx.needs_input_grad[1] else None,
                None if grad_int is None else grad_int.to(torch.float32), None, None)


@functools.lru_cache(maxsize=4096)
def _integer(width: int, frac: int, signed: bool, rounding: str) -> IntegerFormat:
    """One spec object per format, so its fast-path constants are worked out once."""
    return IntegerFormat(width, frac, signed, rounding)


@functools.lru_cache(maxsize=4096)
def _bounds(spec: IntegerFormat, dtype: torch.dtype) -> FastBounds | None:
    if spec.rounding != "nearest_even" or dtype not in (torch.float32, torch.float64):
        return None
    return fast_bounds(spec.int_min, spec.int_max, spec.frac_width, dtype)


class LearnedFixedPoint(nn.Module):
    """A fixed-point quantizer with trainable widths; a drop-in operand spec of a quantized
    module (`spec(x)`, `bits`, `type`, `precision`, `to_dict`, `frozen()`).

    `bitops_penalty` and `learned_lr` travel with it (saved in its dict) so that `ch train` on a
    saved graph trains it the same way.
    """

    name = NAME

    def __init__(self, start: IntegerFormat, learn_width: bool = False, bitops_penalty: float = 0.0,
                 learned_lr: float | None = None, frac: float | None = None,
                 int_bits: float | None = None):
        super().__init__()
        if not isinstance(start, IntegerFormat):
            raise ConfigError(f"Learned widths start from an 'integer' format, got {start}.")
        self.is_signed, self.rounding = start.is_signed, start.rounding
        self.learn_width = bool(learn_width)
        if learned_lr is None:  # widths travel far (to the bit budget); a step only fine-tunes
            learned_lr = WIDTH_LR if learn_width else FRAC_LR
        self.bitops_penalty, self.learned_lr = float(bitops_penalty), float(learned_lr)
        self.fixed_width = start.width
        start_int = start.width - start.frac_width - (1 if start.is_signed else 0)
        self.frac = nn.Parameter(torch.tensor(float(start.frac_width if frac is None else frac)))
        self.int_bits = nn.Parameter(torch.tensor(float(start_int if int_bits is None else int_bits)),
                                     requires_grad=self.learn_width)

    # -- the current format --------------------------------------------------------------------
    @property
    def sign_bits(self) -> int:
        return 1 if self.is_signed else 0

    def frozen(self) -> IntegerFormat:
        """The `IntegerFormat` the forward pass uses now (rounded widths, within bounds)."""
        frac = min(max(round(float(self.frac.detach())), MIN_FRAC_WIDTH), MAX_FRAC_WIDTH)
        if not self.learn_width:
            return _integer(self.fixed_width, frac, self.is_signed, self.rounding)
        width = round(float(self.int_bits.detach())) + frac + self.sign_bits
        width = min(max(width, MIN_LEARNED_WIDTH), MAX_WIDTH)
        return _integer(width, frac, self.is_signed, self.rounding)

    def width_term(self) -> torch.Tensor:
        """The current width as a tensor whose gradient reaches the widths (straight through
        the rounding; none where the width sits at a bound)."""
        spec = self.frozen()
        width = torch.tensor(float(spec.width), device=self.frac.device)
        if not self.learn_width or spec.width in (MIN_LEARNED_WIDTH, MAX_WIDTH):
            return width
        real = self.frac + self.int_bits
        return width + real - real.detach()

    # -- spec protocol ---------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        spec = self.frozen()
        if not isinstance(x, torch.Tensor) or x.numel() == 0:
            return spec(x)
        if not (torch.is_grad_enabled() and (x.requires_grad or self.frac.requires_grad)):
            return spec(x)
        bounds = _bounds(spec, x.dtype)
        if bounds is not None:
            return _FastLearnedRound.apply(x, self.frac, self.int_bits, bounds, self.learn_width)
        return _LearnedRound.apply(x, self.frac, self.int_bits, spec, self.learn_width)

    def quantize(self, x: torch.Tensor) -> torch.Tensor:
        return self(x)

    @property
    def bits(self) -> int:
        return self.frozen().bits

    def storage_bits(self, shape: Any = None) -> int:
        return self.bits

    @property
    def type(self) -> str:
        return "fixed"

    @property
    def precision(self) -> list[int]:
        return self.frozen().precision

    @property
    def grad_range(self) -> tuple[float, float]:
        return self.frozen().grad_range

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: the current format plus what rebuilds the learner (`from_dict`)."""
        return {"name": NAME, "start": self.frozen().to_dict(), "learn_width": self.learn_width,
                "fixed_width": self.fixed_width, "bitops_penalty": self.bitops_penalty,
                "learned_lr": self.learned_lr, "frac": float(self.frac.detach()), "int_bits": float(self.int_bits.detach())}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LearnedFixedPoint:
        try:
            start = IntegerFormat.from_dict(dict(data["start"]))
            if not data["learn_width"]:
                start = IntegerFormat(int(data["fixed_width"]), start.frac_width, start.is_signed,
                                      start.rounding)
            return cls(start, bool(data["learn_width"]), float(data["bitops_penalty"]),
                       float(data["learned_lr"]), float(data["frac"]), float(data["int_bits"]))
        except (KeyError, TypeError, ValueError) as error:
            raise ConfigError(f"A saved learned_integer spec is malformed ({error}).") from None

    def __str__(self) -> str:
        spec = self.frozen()
        what = "width and frac" if self.learn_width else "frac"
        return f"learned {what}: {spec}"

    def extra_repr(self) -> str:
        return str(self)


def is_learned(spec: Any) -> bool:
    return isinstance(spec, LearnedFixedPoint)


def frozen_spec(spec: Any) -> Any:
    """`spec` itself, or the `IntegerFormat` a learned spec uses now."""
    return spec.frozen() if isinstance(spec, LearnedFixedPoint) else spec

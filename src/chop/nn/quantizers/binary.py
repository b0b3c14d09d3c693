"""Binary (bipolar ±1) and ternary ({-1, 0, +1} * scale) weights.

binary: q(x) = +1 if x >= 0 else -1. Stochastic (`stochastic=True`): +1 with probability
    clip((x + 1) / 2, 0, 1), else -1; pass a seeded `torch.Generator` as
    `spec.quantize(x, generator=g)` for reproducible draws. Gradient: straight-through inside
    [-1, 1], zero outside (the usual hard-tanh STE).
ternary (ternary weight networks): threshold d = `threshold` if given (e.g. from profiled
    statistics), else threshold_factor * mean|x| over the whole tensor; t = sign(x) where |x| > d,
    else 0; q(x) = alpha * t with alpha = mean of |x| over the kept elements (scale="mean") or a
    fixed number. Gradient: straight-through everywhere. Storage: 2 bits (the per-tensor scale is
    not counted).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from chop.nn.quantizers.base import NumberFormat, check_bool, check_real
from chop.nn.quantizers.registry import register_format


@register_format("binary")
@dataclass(frozen=True)
class BinaryFormat(NumberFormat):
    """Bipolar ±1 values; deterministic sign or stochastic rounding."""

    name: ClassVar[str] = "binary"

    stochastic: bool = False

    def __post_init__(self):
        check_bool(self, "stochastic")

    @property
    def grad_range(self) -> tuple[float, float]:
        return (-1.0, 1.0)

    def _quantize(self, x: torch.Tensor, generator: torch.Generator | None = None
                  ) -> torch.Tensor:
        if self.stochastic:
            p_plus = ((x + 1) / 2).clamp_(0, 1)
            draw = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
            difference = p_plus.sub_(draw)  # > 0 exactly when draw < p_plus
        else:
            difference = x
        # sign() is -1, 0 or +1; shifting by -1/2 (stochastic: 0 -> -1) or +1/2 (x = 0 -> +1)
        # before a second sign() maps the zeros to the intended side.
        shift = -0.5 if self.stochastic else 0.5
        return torch.sign(difference).add_(shift).sign_()

    @property
    def bits(self) -> int:
        return 1

    @property
    def type(self) -> str:
        return "binary"

    @property
    def precision(self) -> list[int]:
        return [1]

    def __str__(self) -> str:
        return "binary(stochastic)" if self.stochastic else "binary"


@register_format("ternary")
@dataclass(frozen=True)
class TernaryFormat(NumberFormat):
    """{-alpha, 0, +alpha}: zero below a threshold, a shared scale above it."""

    name: ClassVar[str] = "ternary"

    threshold_factor: float = 0.7
    threshold: float | None = None
    scale: float | str = "mean"

    def __post_init__(self):
        check_real(self, "threshold_factor", positive=True)
        check_real(self, "threshold", positive=True, allow_none=True)
        check_real(self, "scale", positive=True, words=("mean",))

    def _quantize(self, x: torch.Tensor) -> torch.Tensor:
        magnitude = x.abs()  # NaN elements are neither kept nor counted (they stay NaN)
        if self.threshold is None:
            threshold = self.threshold_factor * magnitude.nanmean()
        else:
            threshold = torch.tensor(float(self.threshold), dtype=x.dtype, device=x.device)
        kept = magnitude > threshold
        if self.scale == "mean":
            count = kept.sum().clamp(min=1)
            alpha = torch.where(kept, magnitude, 0.0).sum() / count
        else:
            alpha = torch.tensor(float(self.scale), dtype=x.dtype, device=x.device)
        return torch.sign(x).mul_(kept).mul_(alpha)

    @property
    def bits(self) -> int:
        return 2

    @property
    def type(self) -> str:
        return "ternary"

    @property
    def precision(self) -> list[int]:
        return [2]

    def __str__(self) -> str:
        threshold = (f"threshold={self.threshold}" if self.threshold is not None
                     else f"factor={self.threshold_factor}")
        return f"ternary({threshold}, scale={self.scale})"


def binary_quantizer(x: torch.Tensor, stochastic: bool = False,
                     generator: torch.Generator | None = None) -> torch.Tensor:
    """Quantize `x` to ±1 (see `BinaryFormat`)."""
    return BinaryFormat(stochastic).quantize(x, generator=generator)


def ternary_quantizer(x: torch.Tensor, threshold_factor: float = 0.7,
                      threshold: float | None = None, scale: float | str = "mean"
                      ) -> torch.Tensor:
    """Quantize `x` to {-alpha, 0, +alpha} (see `TernaryFormat`)."""
    return TernaryFormat(threshold_factor, threshold, scale).quantize(x)

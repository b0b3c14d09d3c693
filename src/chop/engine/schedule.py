"""Learning-rate schedules and gradient clipping: what a run asks for, and the defaults by model kind.

Fine-tuning a transformer wants a warm-up then a linear decay and gradients clipped at norm 1
(BERT's recipe, which the Hugging Face Trainer follows); the small MLPs and CNNs train well at a
constant rate, and MASE's own trainer used cosine annealing, which `cosine` gives. The schedule is
a `torch.optim.lr_scheduler.LambdaLR` stepped after every optimizer step; its state goes in the
checkpoint, so a resumed run continues the same curve.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

SCHEDULES = ("auto", "constant", "linear", "cosine")
TEXT_WARMUP_RATIO = 0.1
TEXT_GRADIENT_CLIP = 1.0


@dataclass(frozen=True)
class TrainingSchedule:
    """The resolved choices: schedule kind, warm-up fraction of all steps, clip norm (0: off)."""

    kind: str = "constant"
    warmup_ratio: float = 0.0
    gradient_clip: float = 0.0

    @property
    def is_plain(self) -> bool:
        """Nothing to do between steps: constant rate, no warm-up, no clipping."""
        return self.kind == "constant" and not self.warmup_ratio and not self.gradient_clip


def resolve_schedule(kind: str | None, warmup_ratio: float | None, gradient_clip: float | None,
                     is_text: bool) -> TrainingSchedule:
    """Fill "auto" / unset choices: text models get linear decay after 10% warm-up and clipping
    at norm 1; other models a constant rate without clipping."""
    kind = kind or "auto"
    if kind == "auto":
        kind = "linear" if is_text else "constant"
    if warmup_ratio is None:
        warmup_ratio = TEXT_WARMUP_RATIO if is_text and kind != "constant" else 0.0
    if gradient_clip is None:
        gradient_clip = TEXT_GRADIENT_CLIP if is_text else 0.0
    return TrainingSchedule(kind, float(warmup_ratio), float(gradient_clip))


def lr_factor(kind: str, step: int, total_steps: int, warmup_steps: int) -> float:
    """The multiple of the base learning rate at `step` (0-based) of `total_steps`."""
    if step < warmup_steps:
        return (step + 1) / (warmup_steps + 1)
    if kind == "constant":
        return 1.0
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    if kind == "linear":
        return 1.0 - progress
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def make_scheduler(optimizer: torch.optim.Optimizer, schedule: TrainingSchedule, total_steps: int):
    """A LambdaLR following `schedule` over `total_steps`, or None when the rate stays constant."""
    if schedule.kind == "constant" and not schedule.warmup_ratio:
        return None
    warmup = int(round(schedule.warmup_ratio * total_steps))
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(schedule.kind, step, total_steps, warmup))


def scheduled_step(step: Callable[[], object], scheduler, clip: Callable[[], object] | None) -> Callable[[], None]:
    """The optimizer step with clipping before it and the schedule after it (when there are any)."""
    if scheduler is None and clip is None:
        return step

    def run() -> None:
        if clip is not None:
            clip()
        step()
        if scheduler is not None:
            scheduler.step()

    return run

"""One epoch of the training step and the one evaluator: what `fit` and search trials both run.

The step is the floor PyTorch loop (forward, loss, backward, step). With `track` the epoch keeps
its loss and accuracy sums as tensors, so nothing synchronises with the device until it ends;
`on_step(loss, logits, y)` (the engine's logging, progress and step/time limits) may stop it early.
`train_epochs` is the short, quiet training of a search trial: the same epochs without Fabric,
checkpoints or loggers, reporting after each epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from chop.dataset.info import TensorSplit
from chop.engine.batches import TensorBatches
from chop.engine.call import batch_caller
from chop.engine.optim import make_optimizer
from chop.nn.learned import bit_penalty, has_learners
from chop.engine.schedule import make_scheduler, resolve_schedule, scheduled_step

OnStep = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], "str | None"]  # (loss, logits, y)
Penalty = Callable[[], "torch.Tensor | None"]
OnEpoch = Callable[[int, dict[str, float]], None]


@dataclass
class EpochSums:
    """Loss x samples and correct predictions summed over an epoch (tensors), samples seen, and
    why it stopped early (None: it ran every batch)."""

    loss: torch.Tensor
    correct: torch.Tensor
    seen: int
    stop: str | None = None


def run_epoch(forward: Callable, backward: Callable, step: Callable, optimizer: torch.optim.Optimizer,
              batches, device: torch.device | str, on_step: OnStep | None = None, track: bool = True,
              penalty: Penalty | None = None) -> EpochSums:
    """Train over `batches` once: forward, cross-entropy (plus `penalty()`, the bit cost of
    learned quantization, where given), zero_grad, backward, step. The sums keep the
    cross-entropy alone."""
    loss_sum = torch.zeros((), device=device)
    correct = torch.zeros((), device=device, dtype=torch.long)
    seen = 0
    call = batch_caller(forward)
    for x, y in batches:
        logits = call(x, y)
        loss = F.cross_entropy(logits, y)
        extra = penalty() if penalty is not None else None
        optimizer.zero_grad(set_to_none=True)
        backward(loss if extra is None else loss + extra)
        step()
        if track:
            loss_sum.add_(loss.detach(), alpha=len(y))
            correct.add_((logits.detach().argmax(dim=1) == y).sum())
            seen += len(y)
        if on_step is not None:
            stop = on_step(loss, logits, y)
            if stop is not None:
                return EpochSums(loss_sum, correct, seen, stop)
    return EpochSums(loss_sum, correct, seen)


@torch.no_grad()
def evaluate_batches(model: nn.Module, batches, device: torch.device | str,
                     all_reduce: Callable[[torch.Tensor], torch.Tensor] | None = None) -> dict[str, float]:
    """Mean cross-entropy loss and accuracy of `model` over `batches`, from fresh sums
    (`all_reduce` sums them across ranks)."""
    model.eval()
    sums = torch.zeros(3, device=device, dtype=torch.float64)
    call = batch_caller(model)
    for x, y in batches:
        logits = call(x, y)
        sums[0] += F.cross_entropy(logits.float(), y, reduction="sum")
        sums[1] += (logits.argmax(dim=1) == y).sum()
        sums[2] += len(y)
    if all_reduce is not None:
        sums = all_reduce(sums)
    n = max(sums[2].item(), 1.0)
    return {"loss": sums[0].item() / n, "acc": sums[1].item() / n, "samples": int(sums[2].item())}


EVAL_BATCH = 4096  # rows of a small tensor model: big batches evaluate fastest
EVAL_BATCH_TEXT = 256  # sequences: attention grows with the batch, and bigger gains nothing on CPU


def eval_batch_size(split: TensorSplit, batch_size: int | None = None) -> int:
    """The evaluation batch for `split`: `batch_size` when given, else by kind of input."""
    if batch_size:
        return batch_size
    return EVAL_BATCH if isinstance(split.x, torch.Tensor) else EVAL_BATCH_TEXT


def evaluate_split(model: nn.Module, split: TensorSplit, batch_size: int | None = None) -> dict[str, float]:
    """`evaluate_batches` over a whole split (on the split's device)."""
    return evaluate_batches(model, TensorBatches(split, eval_batch_size(split, batch_size)), split.device)


def train_epochs(model: nn.Module, train: TensorSplit, settings: Mapping[str, Any], epochs: int, seed: int,
                 evaluate: Callable[[nn.Module], dict] | None = None, on_epoch: OnEpoch | None = None,
                 first_step: int = 0) -> int:
    """Train `model` in place for `epochs` on `train` (already on the model's device) with the
    optimizer, learning rate, weight decay and batch size of `settings`, and its `lr_scheduler`,
    `warmup_ratio` and `gradient_clip` where given ("auto" by kind of input, as `ch train`).

    After each epoch `on_epoch(step, {"val_acc", "val_loss"})` may stop the run (Optuna pruning
    raises from there). Returns the epoch counter after training, so that a later stage reports
    on from there.
    """
    optimizer = make_optimizer(settings["optimizer"], model, float(settings["learning_rate"]),
                               float(settings.get("weight_decay") or 0.0))
    batches = TensorBatches(train, int(settings["batch_size"]), shuffle=True, seed=seed)
    schedule = resolve_schedule(settings.get("lr_scheduler"), settings.get("warmup_ratio"),
                                settings.get("gradient_clip"), not isinstance(train.x, torch.Tensor))
    scheduler = make_scheduler(optimizer, schedule, max(1, epochs * len(batches)))
    clip = (lambda: nn.utils.clip_grad_norm_(model.parameters(), schedule.gradient_clip)) \
        if schedule.gradient_clip else None
    optimizer_step = scheduled_step(optimizer.step, scheduler, clip)
    step = first_step
    for epoch in range(epochs):
        batches.set_epoch(epoch)
        model.train()
        run_epoch(model, _backward, optimizer_step, optimizer, batches, train.device, track=False,
                  penalty=learned_penalty(model))
        step += 1
        if on_epoch is not None and evaluate is not None:
            metrics = evaluate(model)
            on_epoch(step, {"val_acc": metrics["acc"], "val_loss": metrics["loss"]})
    model.eval()
    return step


def learned_penalty(model: nn.Module) -> Penalty | None:
    """The bit-cost penalty of `model`'s learned quantization widths, if it has any."""
    return (lambda: bit_penalty(model)) if has_learners(model) else None


def _backward(loss: torch.Tensor) -> None:
    loss.backward()

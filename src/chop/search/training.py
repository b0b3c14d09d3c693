"""A trial's short training: a few epochs of the plain training step, reporting after each epoch.

Search trials train briefly (an architecture from scratch before compression, or a QAT /
fine-tune pass after it), so this is the engine's step without checkpoints, loggers or progress
bars. After each epoch `on_epoch(step, {"val_acc", "val_loss"})` may stop the trial (Optuna
pruning raises from there).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from chop.dataset.info import TensorSplit
from chop.engine.batches import TensorBatches
from chop.engine.optim import make_optimizer

OnEpoch = Callable[[int, dict[str, float]], None]


def train_epochs(model: nn.Module, train: TensorSplit, settings: Mapping[str, Any], epochs: int, seed: int,
                 evaluate: Callable[[nn.Module], dict] | None = None, on_epoch: OnEpoch | None = None,
                 first_step: int = 0) -> int:
    """Train `model` in place for `epochs` on `train` (already on the model's device).

    Returns the epoch counter after training, so that a later stage reports on from there.
    """
    optimizer = make_optimizer(settings["optimizer"], model, float(settings["learning_rate"]),
                               float(settings.get("weight_decay") or 0.0))
    batches = TensorBatches(train, int(settings["batch_size"]), shuffle=True, seed=seed)
    step = first_step
    for epoch in range(epochs):
        batches.set_epoch(epoch)
        model.train()
        for x, y in batches:
            loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        step += 1
        if on_epoch is not None and evaluate is not None:
            metrics = evaluate(model)
            on_epoch(step, {"val_acc": metrics["acc"], "val_loss": metrics["loss"]})
    model.eval()
    return step


@torch.no_grad()
def evaluate_split(model: nn.Module, split: TensorSplit, batch_size: int = 4096) -> dict[str, float]:
    """Mean cross-entropy and accuracy of `model` over `split`, from fresh sums."""
    model.eval()
    loss = correct = 0.0
    for x, y in TensorBatches(split, batch_size):
        logits = model(x)
        loss += F.cross_entropy(logits.float(), y, reduction="sum").item()
        correct += (logits.argmax(dim=1) == y).sum().item()
    n = max(len(split), 1)
    return {"loss": loss / n, "acc": correct / n, "samples": len(split)}

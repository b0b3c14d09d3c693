"""Building the optimizer a run names (the names and constructors: `chop.config.OPTIMIZERS`)."""

from __future__ import annotations

from torch import nn

from chop.config import OPTIMIZERS

__all__ = ["OPTIMIZERS", "make_optimizer"]


def make_optimizer(name: str, model: nn.Module, lr: float, weight_decay: float):
    params = [p for p in model.parameters() if p.requires_grad]
    return OPTIMIZERS.get(name)(params, lr=lr, weight_decay=weight_decay)

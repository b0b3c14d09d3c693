"""Building the optimizer a run names (the names and constructors: `chop.config.OPTIMIZERS`)."""

from __future__ import annotations

from torch import nn

from chop.config import OPTIMIZERS
from chop.nn.learned import parameter_groups

__all__ = ["OPTIMIZERS", "make_optimizer"]


def make_optimizer(name: str, model: nn.Module, lr: float, weight_decay: float):
    """The named optimizer over the trainable parameters; learned quantization widths get their
    own groups (their `learned_lr`, no weight decay)."""
    params = parameter_groups(model, lr, weight_decay) or [p for p in model.parameters() if p.requires_grad]
    return OPTIMIZERS.get(name)(params, lr=lr, weight_decay=weight_decay)

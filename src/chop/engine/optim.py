"""Optimizers by name, as `--optimizer` and TOML `optimizer` spell them."""

from __future__ import annotations

import torch
from torch import nn

from chop.registry import Registry

OPTIMIZERS: Registry = Registry("optimizer")
OPTIMIZERS.register("adam", torch.optim.Adam)
OPTIMIZERS.register("adamw", torch.optim.AdamW)
OPTIMIZERS.register("sgd", lambda params, lr, weight_decay: torch.optim.SGD(
    params, lr=lr, weight_decay=weight_decay, momentum=0.9))


def make_optimizer(name: str, model: nn.Module, lr: float, weight_decay: float):
    params = [p for p in model.parameters() if p.requires_grad]
    return OPTIMIZERS.get(name)(params, lr=lr, weight_decay=weight_decay)

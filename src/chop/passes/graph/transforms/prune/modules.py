"""The modules a pruned graph is made of: masked layers and the activation mask.

A pruned `nn.Linear` becomes a `MaskedLinear` (likewise `Conv1d`, `Conv2d`, and quantized layers:
`LinearInteger` -> `MaskedLinearInteger`; see `chop.nn.masked`): the same module, its class
swapped, with two boolean buffers, `weight_mask` and `bias_mask` (True = kept). Its forward
computes with `weight * weight_mask` and `bias * bias_mask`, so:
- the parameter keeps its name (`weight`), and the masks are in the state_dict: saving the graph
  saves them and `MaseGraph.load` restores them (a plain float state_dict lacks them);
- the gradient of a pruned weight is exactly zero, and the stored weight is zeroed when the mask
  is applied, so fine-tuning (even Adam with weight decay) leaves pruned weights at zero; the
  *effective* weight (`effective_weight()`) is zero whatever happens to the stored one.

`ActivationMask` multiplies a tensor by a fixed boolean mask buffer, broadcast over the batch
(and, for a channel mask, over the positions): the masks of activation pruning, computed once
from calibration data and then constant.
"""

from __future__ import annotations

import torch
from torch import nn

from chop.ir.taxonomy import OPS, register_op
from chop.nn.optable import rows
from chop.nn.masked import (  # noqa: F401  (re-exported: the prune pass's modules)
    MASKED_CLASSES,
    MaskedConv1d,
    MaskedConv2d,
    MaskedLinear,
    MaskedModule,
    can_mask,
    effective_weight,
    with_masks,
)
from chop.nn.masked import plain_float_class as float_class  # noqa: F401


#: The ops whose layers can be pruned (op-table rows with channels "layer").
PRUNABLE_OPS = tuple(row.mase_op for row in rows() if row.channels == "layer")


def is_prunable(module: nn.Module) -> bool:
    return can_mask(module)


def masked(module: nn.Module) -> MaskedModule:
    """`module` turned (in place: callers pass their own copy) into its masked class, all kept."""
    return with_masks(module)


class ActivationMask(nn.Module):
    """`x * mask`, the boolean `mask` broadcast from dimension `dim` on (a channel mask has one
    entry per channel of `dim`; an elementwise mask covers every dimension after the batch)."""

    def __init__(self, mask: torch.Tensor, dim: int = 1):
        super().__init__()
        self.dim = dim
        self.register_buffer("mask", mask.to(torch.bool))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dim = self.dim % x.dim()
        trailing = x.dim() - dim - self.mask.dim()
        return x * self.mask.reshape(*self.mask.shape, *([1] * trailing))

    def extra_repr(self) -> str:
        kept = int(self.mask.sum())
        return f"dim={self.dim}, kept={kept}/{self.mask.numel()}"


if ActivationMask not in OPS:
    register_op(ActivationMask, "module", "activation_mask")

"""The modules a pruned graph is made of: masked layers and the activation mask.

A pruned `nn.Linear` becomes a `MaskedLinear` (likewise `Conv1d`, `Conv2d`): the same module, its
class swapped, with two boolean buffers, `weight_mask` and `bias_mask` (True = kept). Its forward
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
import torch.nn.functional as F
from torch import nn

from chop.ir.taxonomy import OPS, register_op


class MaskedModule:
    """Mixin placed before the float class: boolean masks on `weight` and `bias`."""

    weight_mask: torch.Tensor
    bias_mask: torch.Tensor | None

    def effective_weight(self) -> torch.Tensor:
        return self.weight * self.weight_mask

    def effective_bias(self) -> torch.Tensor | None:
        return None if self.bias is None else self.bias * self.bias_mask

    def set_masks(self, weight_mask: torch.Tensor, bias_mask: torch.Tensor | None = None) -> None:
        """Replace the masks (shapes of the parameters) and zero the pruned stored values."""
        self.weight_mask = weight_mask.to(device=self.weight.device, dtype=torch.bool)
        if self.bias is not None:
            keep = torch.ones_like(self.bias, dtype=torch.bool) if bias_mask is None else bias_mask
            self.bias_mask = keep.to(device=self.bias.device, dtype=torch.bool)
        with torch.no_grad():
            self.weight.mul_(self.weight_mask)
            if self.bias is not None:
                self.bias.mul_(self.bias_mask)


class MaskedLinear(MaskedModule, nn.Linear):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.effective_weight(), self.effective_bias())


class MaskedConv1d(MaskedModule, nn.Conv1d):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.effective_weight(), self.effective_bias())


class MaskedConv2d(MaskedModule, nn.Conv2d):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.effective_weight(), self.effective_bias())


#: The layer classes weight pruning supports, and their masked classes.
MASKED_CLASSES: dict[type, type] = {nn.Linear: MaskedLinear, nn.Conv1d: MaskedConv1d, nn.Conv2d: MaskedConv2d}
PRUNABLE_OPS = ("linear", "conv1d", "conv2d")


def float_class(module: nn.Module) -> type:
    """The plain layer class of a (possibly already masked) module."""
    for float_cls, masked_cls in MASKED_CLASSES.items():
        if type(module) in (float_cls, masked_cls):
            return float_cls
    return type(module)


def is_prunable(module: nn.Module) -> bool:
    return type(module) in MASKED_CLASSES or type(module) in MASKED_CLASSES.values()


def masked(module: nn.Module) -> MaskedModule:
    """`module` turned (in place: callers pass their own copy) into its masked class, all kept."""
    if isinstance(module, MaskedModule):
        return module
    module.__class__ = MASKED_CLASSES[type(module)]
    module.register_buffer("weight_mask", torch.ones_like(module.weight, dtype=torch.bool))
    bias = None if module.bias is None else torch.ones_like(module.bias, dtype=torch.bool)
    module.register_buffer("bias_mask", bias)
    return module


def effective_weight(module: nn.Module) -> torch.Tensor | None:
    """The weight a layer computes with: masked if it is masked, else its own (None if none)."""
    if isinstance(module, MaskedModule):
        return module.effective_weight()
    weight = getattr(module, "weight", None)
    return weight if isinstance(weight, torch.Tensor) else None


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

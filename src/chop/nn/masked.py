"""Masked layers: pruning's keep-masks as buffers that every layer kind honours.

A pruned layer keeps its parameters and gains boolean buffers `weight_mask` and `bias_mask`
(True = kept). The `MaskedModule` mixin goes before the layer's class:
- `MaskedLinear`, `MaskedConv1d`, `MaskedConv2d` compute with `weight * weight_mask`;
- a quantized layer (`LinearInteger`, ...) becomes `MaskedLinearInteger`: the quantized forward
  applies any `<param>_mask` buffer before quantizing, so pruning and quantization compose in
  either order.
Parameter names do not change and the masks are in the state_dict, so saved graphs reload with
them; a pruned weight gets zero gradient and is zeroed once when masked, so fine-tuning (even
Adam with weight decay) keeps it at zero.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn


class MaskedModule:
    """Mixin placed before the layer class: boolean masks on `weight` and `bias`."""

    weight_mask: torch.Tensor
    bias_mask: torch.Tensor | None
    unmasked_class: type  # the class this masked class was made from

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
    unmasked_class = nn.Linear
    float_class = nn.Linear

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.effective_weight(), self.effective_bias())


class MaskedConv1d(MaskedModule, nn.Conv1d):
    unmasked_class = nn.Conv1d
    float_class = nn.Conv1d

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.effective_weight(), self.effective_bias())


class MaskedConv2d(MaskedModule, nn.Conv2d):
    unmasked_class = nn.Conv2d
    float_class = nn.Conv2d

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x, self.effective_weight(), self.effective_bias())


#: The float layer classes that can be masked, and their masked classes.
MASKED_CLASSES: dict[type, type] = {nn.Linear: MaskedLinear, nn.Conv1d: MaskedConv1d, nn.Conv2d: MaskedConv2d}


def plain_float_class(module: nn.Module) -> type:
    """The float layer class under any masking or quantization (`nn.Linear` for all of
    Linear, MaskedLinear, LinearInteger, MaskedLinearInteger)."""
    return getattr(type(module), "float_class", type(module))


@functools.cache
def masked_class(cls: type) -> type:
    """The masked version of layer class `cls`: a float layer's, or a quantized layer's."""
    if cls in MASKED_CLASSES:
        return MASKED_CLASSES[cls]
    if getattr(cls, "float_class", None) not in MASKED_CLASSES:
        raise TypeError(f"{cls.__name__} cannot carry pruning masks.")
    return type(f"Masked{cls.__name__}", (MaskedModule, cls),
                {"unmasked_class": cls, "__module__": __name__})


def can_mask(module: nn.Module) -> bool:
    return isinstance(module, MaskedModule) or plain_float_class(module) in MASKED_CLASSES


def with_masks(module: nn.Module) -> MaskedModule:
    """`module` turned (in place: callers pass their own copy) into its masked class, all kept."""
    if isinstance(module, MaskedModule):
        return module
    module.__class__ = masked_class(type(module))
    module.register_buffer("weight_mask", torch.ones_like(module.weight, dtype=torch.bool))
    bias = None if module.bias is None else torch.ones_like(module.bias, dtype=torch.bool)
    module.register_buffer("bias_mask", bias)
    return module


def without_masks(module: nn.Module) -> nn.Module:
    """A masked layer back to its unmasked class, its mask buffers dropped (in place)."""
    if isinstance(module, MaskedModule):
        module.__class__ = module.unmasked_class
        del module._buffers["weight_mask"], module._buffers["bias_mask"]
    return module


def effective_weight(owner: nn.Module, name: str = "weight") -> torch.Tensor | None:
    """The weight `owner` computes with: `owner.<name>` times its `<name>_mask` when it has one
    (a masked layer's buffer, or `torch.nn.utils.prune`'s layout with the dense tensor in
    `<name>_orig`); None when it has no such tensor."""
    base = name.removesuffix("_orig")
    weight = getattr(owner, base, None)
    if not isinstance(weight, torch.Tensor):
        weight = getattr(owner, f"{base}_orig", None)
    if not isinstance(weight, torch.Tensor):
        return None
    mask = getattr(owner, f"{base}_mask", None)
    return weight * mask if isinstance(mask, torch.Tensor) else weight

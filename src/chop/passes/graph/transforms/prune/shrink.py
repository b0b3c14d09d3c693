"""Physically removing pruned channels: a smaller dense model computing the same outputs.

For each channel-pruned layer whose channels can be followed to their consumers
(`channels.follow_channels`), the pruned output rows (weight, bias, masks) are cut from the
layer, the same channels from the batch norms on the way (affine parameters and running
statistics), and the input columns that read them from the consumer layers. The masked model
already multiplies those rows and columns by zero, so outputs are unchanged (up to float
summation order). A layer that was not masked before the pass and whose remaining mask keeps
everything goes back to its plain class (`MaskedLinear` -> `Linear`): no mask cost at run time.
"""

from __future__ import annotations

import logging

import torch
from torch import fx, nn

from chop.passes.graph.transforms.prune.channels import consumer_columns, follow_channels, out_channels
from chop.nn.masked import without_masks
from chop.passes.graph.transforms.prune.modules import MaskedModule

logger = logging.getLogger(__name__)


def _take(tensor: torch.Tensor | None, index: list[int], dim: int) -> torch.Tensor | None:
    if tensor is None:
        return None
    return tensor.index_select(dim, torch.tensor(index, dtype=torch.long, device=tensor.device)).clone()


def _set(module: nn.Module, name: str, value: torch.Tensor | None) -> None:
    if value is None:
        return
    if name in module._parameters:
        old = module._parameters[name]
        module._parameters[name] = nn.Parameter(value, requires_grad=old.requires_grad)
    else:
        module._buffers[name] = value


def _slice(module: nn.Module, names: tuple[str, ...], index: list[int], dim: int) -> None:
    for name in names:
        _set(module, name, _take(getattr(module, name, None), index, dim))


def _shrink_rows(module: nn.Module, kept: list[int]) -> None:
    _slice(module, ("weight", "bias", "weight_mask", "bias_mask"), kept, 0)
    if isinstance(module, nn.Linear):
        module.out_features = len(kept)
    else:
        module.out_channels = len(kept)


def _shrink_norm(norm: nn.Module, kept: list[int]) -> None:
    _slice(norm, ("weight", "bias", "running_mean", "running_var"), kept, 0)
    norm.num_features = len(kept)


def _shrink_columns(module: nn.Module, columns: list[int]) -> None:
    _slice(module, ("weight", "weight_mask"), columns, 1)
    if isinstance(module, nn.Linear):
        module.in_features = len(columns)
    else:
        module.in_channels = len(columns)


def unmask(module: nn.Module) -> None:
    """Turn a masked layer whose masks keep everything back into its unmasked class."""
    without_masks(module)


def shrink_channels(gm: fx.GraphModule, layers: list[fx.Node], pruned: dict[str, list[int]],
                    masked_before: set[str]) -> dict:
    """Remove the pruned channels of `layers` from `gm` (in place: the pass's copy).

    `masked_before` names the module targets that carried masks before this pass; they stay
    masked. Returns the layers shrunk and those that could not be."""
    shrunk, skipped, touched = {}, [], set()
    for node in layers:
        drop = set(pruned.get(node.name, []))
        if not drop:
            continue
        chain = follow_channels(gm, node)
        if chain is None:
            skipped.append(node.name)
            logger.warning("Layer '%s': its channels reach an op that mixes channels (or the output); "
                           "they stay masked but are not removed.", node.name)
            continue
        module = gm.get_submodule(node.target)
        total = out_channels(module)
        kept = [i for i in range(total) if i not in drop]
        _shrink_rows(module, kept)
        for target in chain.norms:
            _shrink_norm(gm.get_submodule(target), kept)
        for target, per_channel in chain.consumers:
            _shrink_columns(gm.get_submodule(target), consumer_columns(kept, per_channel))
            touched.add(target)
        touched.add(node.target)
        shrunk[node.name] = {"channels_before": total, "channels_after": len(kept)}
    for target in sorted(touched - masked_before):
        module = gm.get_submodule(target)
        if isinstance(module, MaskedModule) and module.weight_mask.all() and (
                module.bias_mask is None or module.bias_mask.all()):
            unmask(module)
    return {"shrunk": shrunk, "not_shrunk": skipped}

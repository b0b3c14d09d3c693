"""The `weight` section of the prune pass: exact-k masks on the selected layers' weights.

Elementwise pruning masks single weights. Channel (neuron) pruning masks whole output rows of a
layer and their biases, and also the input columns that read those channels in the consumer
layers (see `channels.follow_channels`), so that a pruned channel contributes nothing downstream
even through a batch norm; the masked model then computes exactly what the physically shrunk
model computes. Masks combine with masks already on a layer (a pruned weight stays pruned).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import fx

from chop.errors import ConfigError
from chop.passes.graph.transforms.prune.channels import consumer_columns, follow_channels
from chop.passes.graph.transforms.prune.masks import expand_channel_mask, global_masks, local_masks, weight_scores
from chop.passes.graph.transforms.prune.modules import effective_weight, masked
from chop.passes.graph.transforms.prune.select import PASS, select_layers, sparsity_of


def _recorded_rows(layers: list[fx.Node], gm: fx.GraphModule, recorded: Mapping[str, list[int]]) -> dict:
    """Row masks from the pruned row indices a saved recipe recorded (replay on load)."""
    masks = {}
    for node in layers:
        if node.name not in recorded:
            raise ConfigError(f"Pass '{PASS}': the recorded channels name no layer '{node.name}'; the "
                              f"recipe does not fit this model.")
        rows = torch.ones(gm.get_submodule(node.target).weight.shape[0], dtype=torch.bool)
        rows[list(recorded[node.name])] = False
        masks[node.name] = rows
    return masks


def compute_masks(gm: fx.GraphModule, layers: list[fx.Node], cfg: Mapping[str, Any],
                  generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Keep-masks per layer: of the weight's shape (elementwise) or of its rows (channel)."""
    scores = {
        node.name: weight_scores(effective_weight(gm.get_submodule(node.target)), cfg["method"],
                                 cfg["granularity"], generator)
        for node in layers
    }
    if cfg["scope"] == "global":
        return global_masks(scores, cfg["sparsity"])
    return local_masks(scores, {node.name: sparsity_of(node, cfg["sparsity"]) for node in layers})


def _couple_consumers(gm: fx.GraphModule, layer: fx.Node, pruned: list[int]) -> None:
    chain = follow_channels(gm, layer)
    if chain is None or not pruned:
        return
    for target, per_channel in chain.consumers:
        consumer = masked(gm.get_submodule(target))
        mask = consumer.weight_mask.clone()
        mask[:, consumer_columns(pruned, per_channel)] = False
        consumer.set_masks(mask, consumer.bias_mask)


def prune_weights(gm: fx.GraphModule, cfg: Mapping[str, Any], generator: torch.Generator,
                  recorded: Mapping[str, list[int]] | None = None) -> tuple[dict, dict[str, list[int]]]:
    """Mask the section's layers in `gm` (in place: the pass's own copy).

    Returns a report per layer and, for channel pruning, the pruned row indices per layer
    (what the recipe records so that loading rebuilds the same channels)."""
    layers = select_layers("weight", cfg, gm)
    channel = cfg["granularity"] == "channel"
    if channel and recorded is not None:
        masks = _recorded_rows(layers, gm, recorded)
    else:
        masks = compute_masks(gm, layers, cfg, generator)
    pruned_rows: dict[str, list[int]] = {}
    for node in layers:
        module = masked(gm.get_submodule(node.target))
        keep = masks[node.name].to(module.weight.device)
        if channel:
            bias_mask = None if module.bias is None else module.bias_mask & keep
            module.set_masks(module.weight_mask & expand_channel_mask(keep, module.weight.shape), bias_mask)
            pruned_rows[node.name] = [int(i) for i in torch.nonzero(~keep).flatten()]
        else:
            module.set_masks(module.weight_mask & keep, module.bias_mask)
    for node in layers if channel else []:
        _couple_consumers(gm, node, pruned_rows[node.name])
    report = {}
    for node in layers:
        weight = effective_weight(gm.get_submodule(node.target))
        pruned = int((~masks[node.name]).sum())
        report[node.name] = {
            "pruned": pruned, "total": masks[node.name].numel(),
            "unit": "channels" if channel else "weights",
            "weight_sparsity": float((weight == 0).float().mean()),
        }
    return report, pruned_rows

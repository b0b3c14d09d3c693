"""The `activation` section of the prune pass: fixed masks on the inputs of the selected layers.

Each selected Linear/Conv gets an `ActivationMask` node in front of it (a call_module node named
`<layer>_input_mask`, read only by that layer), masking the activations it multiplies by its
weights. Masks are computed once, from calibration data, and then never change:
- `l1-norm` scores each feature/position by its mean |a| over `num_batches` batches from
  `input_generator` (run in eval mode, after the weight masks), `l2-norm` by its RMS;
- `random` draws scores from the seeded generator (the batches then only give the shape);
- `elementwise` masks every position of a sample (features, or C x H x W), `channel` masks whole
  channels (dim 1 of a conv input, the last dim of a linear input);
- exact-k per layer (`local`) or across all selected layers by raw score (`global`).
A recipe replayed on load inserts the same mask modules (recorded shape and dim) without data;
the saved mask buffers then load into them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import fx, nn

from chop.errors import ConfigError
from chop.ir.metadata import MaseMetadata
from chop.passes.args import draw_batches
from chop.passes.graph.analysis.record_values import evaluating, input_args, model_device
from chop.passes.graph.transforms.prune.masks import global_masks, local_masks
from chop.passes.graph.transforms.prune.modules import ActivationMask
from chop.passes.graph.transforms.prune.select import PASS, select_layers, sparsity_of


def channel_dim(module: nn.Module) -> int:
    """Where a layer's input keeps its channels: last for Linear, 1 for Conv."""
    return -1 if isinstance(module, nn.Linear) else 1


def calibrate(gm: fx.GraphModule, layers: list[fx.Node], method: str, batches: list[Any]) -> dict[str, torch.Tensor]:
    """Per layer, the mean over all samples of |input| (l1) or input^2 (others), per position."""
    sums: dict[str, torch.Tensor] = {}
    counts: dict[str, int] = {}

    def hook_for(name: str):
        def hook(_module, inputs):
            x = inputs[0].detach().to(torch.float64)
            value = x.pow(2) if method == "l2-norm" else x.abs()
            total = value.sum(dim=0)
            if name in sums and sums[name].shape != total.shape:
                raise ConfigError(f"Pass '{PASS}': the input of '{name}' changes shape between batches "
                                  f"({tuple(sums[name].shape)} vs {tuple(total.shape)}); cannot mask it.")
            sums[name] = sums[name] + total if name in sums else total
            counts[name] = counts.get(name, 0) + x.shape[0]
        return hook

    handles = [gm.get_submodule(n.target).register_forward_pre_hook(hook_for(n.name)) for n in layers]
    try:
        device = model_device(gm)
        with evaluating(gm):
            for batch in batches:
                gm(*[a.to(device) if isinstance(a, torch.Tensor) else a
                     for a in input_args(gm, batch, "input_generator")])
    finally:
        for handle in handles:
            handle.remove()
    return {name: (sums[name] / counts[name]).cpu() for name in sums}


def _scores(stat: torch.Tensor, cfg: Mapping[str, Any], dim: int, generator: torch.Generator) -> torch.Tensor:
    """Scores of one layer's input from its per-position statistic (no batch dimension)."""
    if cfg["granularity"] == "channel":
        sample_dim = dim - 1 if dim > 0 else dim
        stat = stat.movedim(sample_dim, 0).reshape(stat.shape[sample_dim], -1).mean(dim=1)
    if cfg["method"] == "random":
        return torch.rand(stat.shape, generator=generator, dtype=torch.float64)
    return stat.sqrt() if cfg["method"] == "l2-norm" else stat


def _free_name(gm: fx.GraphModule, base: str) -> str:
    name, n = base, 0
    while hasattr(gm, name):
        n += 1
        name = f"{base}_{n}"
    return name


def insert_mask(gm: fx.GraphModule, layer: fx.Node, mask: torch.Tensor, dim: int) -> fx.Node:
    """Put an ActivationMask between `layer` and its (first) input; only the layer reads it."""
    source = layer.args[0]
    name = _free_name(gm, f"{layer.name}_input_mask")
    gm.add_submodule(name, ActivationMask(mask.to(model_device(gm)), dim))
    with gm.graph.inserting_before(layer):
        node = gm.graph.call_module(name, (source,))
    layer.replace_input_with(source, node)
    record = layer.meta.get("mase")
    operand = {} if record is None else dict(record["common"].get("args", {}).get("data_in_0", {}))
    if operand:
        record["common"]["args"]["data_in_0"]["from"] = node.name
        operand.pop("from", None)
    node.meta["mase"] = MaseMetadata({"common": {
        "mase_type": "module", "mase_op": "activation_mask",
        "args": {"data_in_0": {**operand, "from": source.name}} if operand else {},
        "results": {"data_out_0": operand} if operand else {},
    }})
    return node


def prune_activations(gm: fx.GraphModule, cfg: Mapping[str, Any], generator: torch.Generator,
                      input_generator: Any, recorded: Mapping[str, Mapping] | None = None) -> tuple[dict, dict]:
    """Insert the section's activation masks into `gm` (the pass's own copy).

    Returns a report per layer and what the recipe records per layer: `{"dim", "shape"}`."""
    layers = [n for n in select_layers("activation", cfg, gm) if isinstance(n.args[0], fx.Node)]
    if recorded is not None:
        missing = [n.name for n in layers if n.name not in recorded]
        if missing:
            raise ConfigError(f"Pass '{PASS}': the recorded activation masks lack {missing}; the recipe "
                              f"does not fit this model.")
        masks = {n.name: torch.ones(recorded[n.name]["shape"], dtype=torch.bool) for n in layers}
        dims = {n.name: int(recorded[n.name]["dim"]) for n in layers}
    else:
        stats = calibrate(gm, layers, cfg["method"], draw_batches(PASS, input_generator, cfg["num_batches"]))
        dims = {n.name: 1 if cfg["granularity"] == "elementwise" else channel_dim(gm.get_submodule(n.target))
                for n in layers}
        scores = {n.name: _scores(stats[n.name], cfg, dims[n.name], generator) for n in layers}
        if cfg["scope"] == "global":
            masks = global_masks(scores, cfg["sparsity"])
        else:
            masks = local_masks(scores, {n.name: sparsity_of(n, cfg["sparsity"]) for n in layers})
    report, record = {}, {}
    for node in layers:
        insert_mask(gm, node, masks[node.name], dims[node.name])
        mask = masks[node.name]
        report[node.name] = {"pruned": int((~mask).sum()), "total": mask.numel(),
                             "unit": "channels" if cfg["granularity"] == "channel" else "values"}
        record[node.name] = {"dim": dims[node.name], "shape": list(mask.shape)}
    gm.recompile()
    return report, record

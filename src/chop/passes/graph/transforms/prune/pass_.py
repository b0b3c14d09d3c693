"""`prune_transform_pass`: weight and activation pruning, in a new graph whose recipe replays it.

    prune_transform_pass(mg, {
        "weight": {"method": "l1-norm", "scope": "local", "granularity": "channel",
                   "sparsity": 0.5, "exclude": ["seq_blocks_6"]},
        "activation": {"method": "l1-norm", "sparsity": 0.3, "num_batches": 4},
        "shrink": True, "seed": 0,
    })

Either section may be left out (see `select` for their settings, `masks` for exact-k and
scores, `weight` and `activation` for what they do). `shrink` (channel granularity only) then
physically removes the pruned channels (`shrink`). `seed` seeds the `random` method.
`input_generator` (calibration batches) and `dummy_in` (to refresh shapes after shrinking) are
supplied by `ch transform`; TOML: `[passes.prune]`, `[passes.prune.weight]`, ...

The input graph and `pass_args` are never changed. The new graph's recipe records the arguments
plus `recorded`: the pruned channel indices and activation-mask shapes, so that `MaseGraph.load`
rebuilds the same structure without data (elementwise weight masks have the weight's shape and
need no record), after which the saved weights and mask buffers load into it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import fx

from chop.errors import ConfigError
from chop.passes.graph.analysis.common_metadata import add_common_metadata_analysis_pass
from chop.passes.graph.table import Table
from chop.passes.graph.transforms.prune.activation import prune_activations
from chop.passes.graph.transforms.prune.modules import MaskedModule
from chop.passes.graph.transforms.prune.select import PASS, check_section, select_layers
from chop.passes.graph.transforms.prune.shrink import shrink_channels
from chop.passes.graph.transforms.prune.weight import prune_weights
from chop.passes.registry import register_pass

DEFAULTS: dict[str, Any] = {"weight": None, "activation": None, "shrink": False, "seed": 0}


def _check(args: dict) -> dict:
    args = {**args, "weight": check_section("weight", args["weight"]),
            "activation": check_section("activation", args["activation"])}
    if args["weight"] is None and args["activation"] is None:
        raise ConfigError(f"Pass '{PASS}' needs a 'weight' or an 'activation' section (or both).")
    if not isinstance(args["shrink"], bool):
        raise ConfigError(f"Pass '{PASS}': 'shrink' must be true or false, got {args['shrink']!r}.")
    if args["shrink"] and (args["weight"] is None or args["weight"]["granularity"] != "channel"):
        raise ConfigError(f"Pass '{PASS}': 'shrink' removes pruned channels; it needs "
                          f"weight.granularity = \"channel\".")
    if isinstance(args["seed"], bool) or not isinstance(args["seed"], int):
        raise ConfigError(f"Pass '{PASS}': 'seed' must be an int, got {args['seed']!r}.")
    return args


def _count(gm: fx.GraphModule) -> int:
    return sum(p.numel() for p in gm.parameters())


def _summary(results: dict) -> str:
    table = Table(["Section", "Node", "Pruned", "Total", "Weight sparsity"], title="Pruning")
    for section in ("weight", "activation"):
        for node, row in results.get(section, {}).items():
            table.rows.append([section, node, row["pruned"], f"{row['total']} {row.get('unit', 'values')}",
                               f"{row['weight_sparsity']:.4f}" if "weight_sparsity" in row else ""])
    text = table.render()
    if "shrink" in results:
        s = results["shrink"]
        text += f"\nParameters: {s['params_before']} -> {s['params_after']} after removing pruned channels."
    return text


@register_pass(PASS, DEFAULTS, kind="transform", check=_check, needs=("ops",),
               context=("dummy_in", "input_generator", "recorded"))
def prune_transform_pass(graph, args):
    """Prune weights and/or activations into a new graph; returns it and a report per layer."""
    recorded = args["recorded"] or {}
    if not isinstance(recorded, dict):
        raise ConfigError(f"Pass '{PASS}': the recorded state must be a table, got {type(recorded).__name__}.")
    gm = graph.model  # the contract's working copy
    generator = torch.Generator().manual_seed(args["seed"])
    results: dict[str, Any] = {}
    record: dict[str, Any] = {}
    masked_before = {name for name, m in gm.named_modules() if isinstance(m, MaskedModule)}
    params_before = _count(gm)
    if args["weight"] is not None:
        results["weight"], channels = prune_weights(gm, args["weight"], generator, recorded.get("channels"))
        if args["weight"]["granularity"] == "channel":
            record["channels"] = channels
        if args["shrink"]:
            layers = select_layers("weight", args["weight"], gm)
            shrunk = shrink_channels(gm, layers, channels, masked_before)
            results["shrink"] = {**shrunk, "params_before": params_before, "params_after": _count(gm)}
    if args["activation"] is not None:
        results["activation"], record["activation"] = prune_activations(
            gm, args["activation"], generator, args["input_generator"], recorded.get("activation"))
    gm.recompile()
    if args["shrink"]:
        add_common_metadata_analysis_pass(graph, {"dummy_in": args["dummy_in"]})
    results["text"] = _summary(results)
    results["recorded"] = record
    return graph, results

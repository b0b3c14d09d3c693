"""`quantize_transform_pass`: replace ops by quantized ones, in a new graph, metadata updated.

Call_module nodes get the quantized class of their module (`Linear` -> `LinearInteger`, weights
cloned); call_function/call_method nodes of add, sub, mul, div, matmul, bmm become call_module
nodes of a quantized function module. Each changed node's operand metadata (`type`,
`precision`, and `format`: the spec as a dict) then describes the real number format.

The input graph and `pass_args` are never changed: the same dict can be applied twice. The new
graph's recipe records the arguments and, as the pass's replay state, the resolved per-node
configs (calibrated widths included), so that `MaseGraph.load` rebuilds exactly this graph
without calibration data.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from torch import fx

from chop.errors import ConfigError
from chop.ir.graph import MaseGraph
from chop.nn.learned import frozen_spec
from chop.nn.quantized import from_float, function_module_class, op_for_class, quantized_function
from chop.passes.graph.transforms.quantize.calibrate import (
    auto_operands,
    check_calibration,
    input_ranges,
    resolve_auto,
)
from chop.passes.graph.transforms.quantize.check import check_quantize_args
from chop.passes.graph.transforms.quantize.select import check_node_names, config_for, selector
from chop.passes.graph.transforms.quantize.summary import (
    graph_iterator_compare_nodes,
    quantization_histogram,
)
from chop.passes.registry import register_pass

logger = logging.getLogger(__name__)
PASS = "quantize"
DEFAULTS = {"by": "type", "default": {"config": {"name": None}}, "calibration": None}
_CONTROL = ("calibration", "input_generator", "original_graph", "recorded")


def _check(args: Mapping[str, Any]) -> dict:
    check_quantize_args({k: v for k, v in args.items() if k not in _CONTROL})
    return {**args, "calibration": check_calibration(args.get("calibration"))}


def _quantizable_module(module) -> bool:
    float_class = getattr(module, "float_class", type(module))
    try:
        op_for_class(float_class)
    except ConfigError:
        return False
    return True


def record_formats(node: fx.Node, specs: Mapping[str, Any]) -> None:
    """Write each operand's number format into `node`'s metadata (a learned operand: the format
    it uses now)."""
    common = node.meta["mase"]["common"]
    for operand, spec in specs.items():
        spec = frozen_spec(spec)
        section = common.get("results" if operand.startswith("data_out") else "args", {})
        entry = section.get(operand)
        if entry is None:
            continue
        entry["type"], entry["precision"], entry["format"] = spec.type, list(spec.precision), spec.to_dict()


def _replace_function(gm: fx.GraphModule, node: fx.Node, config: dict) -> Any:
    module = quantized_function(node.target, config)
    name = f"{node.name}_quantized"
    gm.add_submodule(name, module)
    node.op, node.target = "call_module", name
    return module


def _supported(node: fx.Node, modules: dict) -> bool:
    if node.op in ("placeholder", "output", "get_attr"):
        return False
    if node.op == "call_module":
        return _quantizable_module(modules[node.target])
    return function_module_class(node.target) is not None


def _selected(gm: fx.GraphModule, selection: Mapping[str, Any], modules: dict) -> list[tuple[fx.Node, dict]]:
    """(node, config) for every node the selection quantizes."""
    check_node_names(selection, [n.name for n in gm.graph.nodes])
    chosen = selector(selection)
    plan = []
    for node in gm.graph.nodes:
        mase_op = node.meta["mase"]["common"].get("mase_op")
        config, explicit = config_for(node.name, mase_op, selection, chosen)
        if config is None:
            continue
        if not _supported(node, modules):
            if explicit:
                raise ConfigError(f"Pass 'quantize': node '{node.name}' ({mase_op}) cannot be quantized.")
            continue
        plan.append((node, config))
    return plan


def _recorded(gm: fx.GraphModule, recorded: Any) -> list[tuple[fx.Node, dict]]:
    """(node, config) from the per-node configs a recipe recorded (replay: no selection, no data)."""
    nodes = {n.name: n for n in gm.graph.nodes}
    if not isinstance(recorded, Mapping) or not all(
            isinstance(e, Mapping) and isinstance(e.get("config"), Mapping) for e in recorded.values()):
        raise ConfigError("Pass 'quantize': the recorded configs must be {node: {config: {...}}}.")
    missing = [name for name in recorded if name not in nodes]
    if missing:
        raise ConfigError(f"Pass 'quantize': the recorded configs name nodes {missing[:5]} this graph "
                          f"lacks; the recipe does not fit this model.")
    return [(nodes[name], dict(entry["config"])) for name, entry in recorded.items()]


@register_pass(PASS, DEFAULTS, kind="transform", check=_check, open_keys=True, needs=("ops",),
               context=("input_generator", "original_graph", "recorded"))
def quantize_transform_pass(graph: MaseGraph, args: dict):
    """Quantize the ops chosen by `pass_args`; returns a new graph and {"changed": [...]}. """
    gm = graph.model  # the contract's working copy
    modules = dict(gm.named_modules())
    if args["recorded"] is not None:
        plan = _recorded(gm, args["recorded"])
    else:
        plan = _selected(gm, {k: v for k, v in args.items() if k not in _CONTROL}, modules)
    calibration = args["calibration"]
    auto_inputs = {node.name for node, config in plan
                   if any(op.startswith("data_in") for op in auto_operands(config))}
    ranges = input_ranges(gm, auto_inputs, args["input_generator"], calibration)
    resolved: dict[str, dict] = {}
    for node, config in plan:
        module = modules.get(node.target) if node.op == "call_module" else None
        config = resolve_auto(config, node.name, module, ranges, calibration)
        if node.op == "call_module":
            quantized = from_float(module, config)
            parent, _, child = node.target.rpartition(".")
            setattr(gm.get_submodule(parent) if parent else gm, child, quantized)
        else:
            quantized = _replace_function(gm, node, config)
        record_formats(node, quantized.specs)
        resolved[node.name] = config
    gm.recompile()
    histogram = quantization_histogram(graph_iterator_compare_nodes(args["original_graph"], graph, silent=True))
    histogram.title = "Quantized graph histogram:"
    logger.info("%s", histogram.render())
    return graph, {"changed": list(resolved), "configs": resolved, "histogram": histogram,
                   "text": histogram.render(), "recorded": {name: {"config": cfg} for name, cfg in resolved.items()}}

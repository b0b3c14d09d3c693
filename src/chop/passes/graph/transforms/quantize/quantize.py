"""`quantize_transform_pass`: replace ops by quantized ones, in a new graph, metadata updated.

Call_module nodes get the quantized class of their module (`Linear` -> `LinearInteger`, weights
cloned); call_function/call_method nodes of add, sub, mul, div, matmul, bmm become call_module
nodes of a quantized function module. Each changed node's operand metadata (`type`,
`precision`, and `format`: the spec as a dict) then describes the real number format.

The input graph and `pass_args` are never changed: the same dict can be applied twice. The new
graph's recipe records the resolved per-node configs (calibrated widths included), so that
`MaseGraph.load` rebuilds exactly this graph without calibration data.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from torch import fx

from chop.errors import ConfigError
from chop.ir.graph import MaseGraph
from chop.nn.quantized import from_float, function_module_class, op_for_class, quantized_function
from chop.passes.args import na_to_none
from chop.passes.graph.analysis.common_metadata import ensure_op_metadata
from chop.passes.graph.transforms.quantize.calibrate import (
    auto_operands,
    check_calibration,
    input_ranges,
    resolve_auto,
)
from chop.passes.graph.transforms.quantize.select import (
    check_node_names,
    check_quantize_args,
    config_for,
)
from chop.passes.graph.transforms.quantize.summary import (
    graph_iterator_compare_nodes,
    quantization_histogram,
)
from chop.passes.registry import register_pass

logger = logging.getLogger(__name__)
PASS = "quantize"
DEFAULTS = {"by": "type", "default": {"config": {"name": None}}, "calibration": None,
            "input_generator": None}
_CONTROL = ("calibration", "input_generator")


def _check(args: Mapping[str, Any]) -> None:
    check_quantize_args({k: v for k, v in args.items() if k not in _CONTROL})
    check_calibration(args.get("calibration"))


def _quantizable_module(module) -> bool:
    float_class = getattr(module, "float_class", type(module))
    try:
        op_for_class(float_class)
    except ConfigError:
        return False
    return True


def _record_formats(node: fx.Node, specs: Mapping[str, Any]) -> None:
    common = node.meta["mase"]["common"]
    for operand, spec in specs.items():
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


def quantize_transform_pass(graph: MaseGraph, pass_args: Mapping[str, Any] | None = None):
    """Quantize the ops chosen by `pass_args`; returns a new graph and {"changed": [...]}. """
    args = {**DEFAULTS, **na_to_none(dict(pass_args or {}))}
    _check(args)
    calibration = check_calibration(args.get("calibration"))
    selection = {k: v for k, v in args.items() if k not in _CONTROL}
    gm = graph.copy_model()
    ensure_op_metadata(MaseGraph(gm))
    check_node_names(selection, [n.name for n in gm.graph.nodes])
    modules = dict(gm.named_modules())
    plan: list[tuple[fx.Node, dict]] = []
    for node in gm.graph.nodes:
        mase_op = node.meta["mase"]["common"].get("mase_op") if "mase" in node.meta else None
        config, explicit = config_for(node.name, mase_op, selection)
        if config is None:
            continue
        if node.op in ("placeholder", "output", "get_attr"):
            supported = False
        elif node.op == "call_module":
            supported = _quantizable_module(modules[node.target])
        else:
            supported = function_module_class(node.target) is not None
        if not supported:
            if explicit:
                raise ConfigError(f"Pass 'quantize': node '{node.name}' ({mase_op}) cannot be quantized.")
            continue
        plan.append((node, config))

    auto_inputs = {node.name for node, config in plan
                   if any(op.startswith("data_in") for op in auto_operands(config))}
    ranges = input_ranges(gm, auto_inputs, args.get("input_generator"), calibration)
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
        _record_formats(node, quantized.specs)
        resolved[node.name] = config
    gm.recompile()

    recipe_args = {"by": "name", **{name: {"config": cfg} for name, cfg in resolved.items()}}
    new = graph.derive(gm, PASS, recipe_args)
    histogram = quantization_histogram(graph_iterator_compare_nodes(graph, new, silent=True))
    histogram.title = "Quantized graph histogram:"
    logger.info("%s", histogram.render())
    return new, {"changed": list(resolved), "configs": resolved, "histogram": histogram,
                 "text": histogram.render()}


register_pass(PASS, DEFAULTS, kind="transform", check=_check)(quantize_transform_pass)

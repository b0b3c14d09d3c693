"""`freeze_learned` (TOML `[passes.freeze_learned]`): learned fixed-point operands become the plain
`IntegerFormat` each uses now, so the graph is an ordinary fixed-point graph (integer export,
`ch emit`, cost reports) that computes exactly what the trained one did.

The pass records the frozen formats per node as its replay state: a saved graph replays to the
trained widths, not to where learning started.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chop.errors import ConfigError
from chop.ir.graph import MaseGraph
from chop.nn.learned import LEARN_KEYS, frozen_spec, is_learned
from chop.nn.quantized import QuantizedModule
from chop.nn.quantized.state import saved_spec
from chop.passes.graph.transforms.quantize.quantize import record_formats
from chop.passes.registry import register_pass

PASS = "freeze_learned"


def frozen_config(config: Mapping[str, Any], specs: Mapping[str, Any]) -> dict:
    """`config` without learning keys, with each frozen operand's width and frac written in."""
    out = {k: v for k, v in config.items() if k not in LEARN_KEYS}
    for operand, spec in specs.items():
        key = operand if operand.startswith("data_in_") else operand.removesuffix("_0")
        out[f"{key}_width"], out[f"{key}_frac_width"] = spec.width, spec.frac_width
    return out


def _frozen_specs(node_name: str, module: QuantizedModule, recorded: Mapping[str, Any] | None) -> dict:
    if recorded is None:
        return {operand: frozen_spec(spec) for operand, spec in module.specs.items()}
    saved = recorded.get(node_name)
    if not isinstance(saved, Mapping):
        raise ConfigError(f"Pass '{PASS}': the recipe recorded no formats for node '{node_name}'; "
                          "it does not fit this graph.")
    return {operand: saved_spec(saved[operand]) if operand in saved else spec
            for operand, spec in module.specs.items()}


@register_pass(PASS, {}, kind="transform", context=("recorded",))
def freeze_learned_transform_pass(graph: MaseGraph, args: dict):
    """Freeze every learned operand; returns a new graph and {"frozen": {node: {operand: str}}}."""
    gm = graph.model
    recorded = args.get("recorded")
    frozen: dict[str, dict[str, str]] = {}
    state: dict[str, dict[str, Any]] = {}
    for node in gm.graph.nodes:
        if node.op != "call_module":
            continue
        module = gm.get_submodule(node.target)
        if not isinstance(module, QuantizedModule) or not any(map(is_learned, module.specs.values())):
            continue
        specs = _frozen_specs(node.name, module, recorded)
        changed = {op: spec for op, spec in specs.items() if is_learned(module.specs[op])}
        module.attach_specs(specs, frozen_config(module.q_config, changed))
        if "mase" in node.meta:
            record_formats(node, specs)
        frozen[node.name] = {op: str(spec) for op, spec in changed.items()}
        state[node.name] = {op: spec.to_dict() for op, spec in changed.items()}
    text = "\n".join(f"{name}: " + ", ".join(f"{op}={s}" for op, s in ops.items())
                     for name, ops in frozen.items()) or "no learned operands"
    return graph, {"frozen": frozen, "text": text, "recorded": state}

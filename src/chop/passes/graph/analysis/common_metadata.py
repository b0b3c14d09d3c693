"""`add_common_metadata_analysis_pass`: each node's mase_type, mase_op and operands.

The op comes from the taxonomy table (`chop.ir.taxonomy`); an op missing from it is marked
'unknown' with one warning listing them all. With `dummy_in` the model runs once and every
operand gets `shape`, `torch_dtype`, `type` and `precision`:
- `args`: `data_in_0`, `data_in_1`, ... for the positional inputs (nested ones flattened),
  keyword inputs by their name, and a module's own parameters (`weight`, `bias`, ...) and float
  buffers (`running_mean`, ...); an input produced by another node records `"from": that node`;
- `results`: `data_out_0`, ... for the node's value (tuples and dicts flattened).
Tensor values are kept (`"value"`) only with `add_value=True`; small Python values (sizes, ints)
always are. Without `dummy_in` only the ops and the module parameters are recorded.
"""

from __future__ import annotations

import logging
from typing import Any

from torch import fx, nn

from chop.ir.operand import describe, leaves
from chop.ir.taxonomy import UNKNOWN_OP, classify
from chop.passes.args import resolve_args
from chop.passes.graph.analysis.init_metadata import ensure_metadata
from chop.passes.graph.analysis.record_values import run_interpreter
from chop.passes.registry import register_pass

logger = logging.getLogger(__name__)

COMMON_DEFAULTS = {"dummy_in": None, "add_value": False}


def module_operands(module: nn.Module, keep_value: bool) -> dict[str, dict]:
    """Records of a module's own parameters and floating-point buffers."""
    records = {name: describe(p, keep_value) for name, p in module.named_parameters(recurse=False)}
    for name, buffer in module.named_buffers(recurse=False):
        if buffer.is_floating_point():
            records[name] = describe(buffer, keep_value)
    return records


def _operand(leaf: Any, env: dict, keep_value: bool) -> dict:
    if isinstance(leaf, fx.Node):
        return {**describe(env[leaf], keep_value), "from": leaf.name}
    return describe(leaf)


def arg_operands(node: fx.Node, env: dict, keep_value: bool) -> dict[str, dict]:
    """Records of the node's positional and keyword inputs."""
    if node.op == "placeholder":
        return {}
    records = {
        f"data_in_{i}": _operand(leaf, env, keep_value) for i, leaf in enumerate(leaves(node.args))
    }
    for key, value in node.kwargs.items():
        flat = leaves(value)
        for j, leaf in enumerate(flat):
            records[key if len(flat) == 1 else f"{key}_{j}"] = _operand(leaf, env, keep_value)
    return records


def result_operands(value: Any, keep_value: bool) -> dict[str, dict]:
    return {f"data_out_{i}": describe(leaf, keep_value) for i, leaf in enumerate(leaves(value))}


class _OperandRecorder(fx.Interpreter):
    """Describes each node's inputs just before it runs (an in-place op may change them) and its
    value just after."""

    def __init__(self, gm: fx.GraphModule, keep_value: bool):
        super().__init__(gm)
        self.keep_value = keep_value
        self.records: dict[fx.Node, tuple[dict, dict]] = {}

    def run_node(self, node):
        args = arg_operands(node, self.env, self.keep_value)
        result = super().run_node(node)
        self.records[node] = (args, result_operands(result, self.keep_value))
        return result


def _warn_unknown(unknown: list[fx.Node]) -> None:
    if not unknown:
        return
    shown = ", ".join(f"{n.name} ({n.op} {getattr(n.target, '__name__', n.target)})" for n in unknown[:8])
    more = f" and {len(unknown) - 8} more" if len(unknown) > 8 else ""
    logger.warning(
        "%d node(s) run ops the taxonomy does not know, marked mase_op 'unknown': %s%s. "
        "Add them with chop.ir.register_op(target, mase_type, mase_op).",
        len(unknown), shown, more,
    )


@register_pass("add_common_metadata", COMMON_DEFAULTS)
def add_common_metadata_analysis_pass(graph, pass_args=None):
    """Annotate every node's common metadata; returns the same graph and the unknown nodes."""
    args = resolve_args("add_common_metadata", pass_args, COMMON_DEFAULTS)
    keep = bool(args["add_value"])
    ensure_metadata(graph)
    modules = dict(graph.model.named_modules())
    records = None
    if args["dummy_in"] is not None:
        recorder = _OperandRecorder(graph.model, keep)
        run_interpreter(recorder, args["dummy_in"])
        records = recorder.records
    unknown = []
    for node in graph.fx_graph.nodes:
        mase_type, mase_op = classify(node, modules)
        if mase_op == UNKNOWN_OP:
            unknown.append(node)
        common: dict[str, Any] = {"mase_type": mase_type, "mase_op": mase_op, "args": {}, "results": {}}
        if records is not None:
            common["args"], common["results"] = (dict(r) for r in records[node])
        if node.op == "call_module":
            common["args"].update(module_operands(modules[node.target], keep))
        node.meta["mase"]["common"] = common
    _warn_unknown(unknown)
    return graph, {"unknown_ops": [node.name for node in unknown]}


def ensure_op_metadata(graph) -> None:
    """Give the graph op metadata if any node lacks it (ops and parameter shapes, no data).

    Transform passes call this on their own copy: they select nodes by mase op, and a graph
    rebuilt on load (or built without `add_common_metadata`) may have none yet.
    """
    if all("mase" in n.meta and "mase_op" in n.meta["mase"]["common"] for n in graph.fx_graph.nodes):
        return
    add_common_metadata_analysis_pass(graph, None)

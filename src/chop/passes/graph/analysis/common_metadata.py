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

from torch import fx

from chop.ir.operand import describe, leaves
from chop.ir.taxonomy import UNKNOWN_OP
from chop.passes.graph.analysis.record_values import run_interpreter
from chop.passes.needs import op_records
from chop.passes.registry import register_pass

logger = logging.getLogger(__name__)

COMMON_DEFAULTS = {"add_value": False}


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


@register_pass("add_common_metadata", COMMON_DEFAULTS, needs=("metadata",), context=("dummy_in",))
def add_common_metadata_analysis_pass(graph, args):
    """Annotate every node's common metadata; returns the same graph and the unknown nodes."""
    keep = bool(args["add_value"])
    records = None
    if args["dummy_in"] is not None:
        recorder = _OperandRecorder(graph.model, keep)
        run_interpreter(recorder, args["dummy_in"])
        records = recorder.records
    unknown = []
    for node, common in op_records(graph, keep).items():
        if common["mase_op"] == UNKNOWN_OP:
            unknown.append(node)
        if records is not None:
            data_args, common["results"] = (dict(r) for r in records[node])
            common["args"] = {**data_args, **common["args"]}
        node.meta["mase"]["common"] = common
    return graph, {"unknown_ops": [node.name for node in unknown]}

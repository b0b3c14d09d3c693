"""The metadata a pass can declare that it needs, ensured by the runner before the pass runs.

- "metadata": every node has a MaseMetadata (empty common/software/hardware sections);
- "ops": every node's common metadata has its mase_type and mase_op (from the op taxonomy) and
  the records of its module's parameters and float buffers; no data is needed.
Existing metadata is kept: a graph annotated with shapes (`add_common_metadata` with
`dummy_in`) is left as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from torch import fx, nn

from chop.ir.metadata import MaseMetadata
from chop.ir.operand import describe
from chop.ir.taxonomy import UNKNOWN_OP, classify

logger = logging.getLogger("chop.passes.graph.analysis.common_metadata")


def module_operands(module: nn.Module, keep_value: bool) -> dict[str, dict]:
    """Records of a module's own parameters and floating-point buffers."""
    records = {name: describe(p, keep_value) for name, p in module.named_parameters(recurse=False)}
    for name, buffer in module.named_buffers(recurse=False):
        if buffer.is_floating_point():
            records[name] = describe(buffer, keep_value)
    return records


def op_records(graph, keep_value: bool = False) -> dict[fx.Node, dict[str, Any]]:
    """Per node: {"mase_type", "mase_op", "args": parameter records, "results": {}}; warns once
    about ops the taxonomy does not know."""
    modules = dict(graph.model.named_modules())
    records, unknown = {}, []
    for node in graph.fx_graph.nodes:
        mase_type, mase_op = classify(node, modules)
        if mase_op == UNKNOWN_OP:
            unknown.append(node)
        args = module_operands(modules[node.target], keep_value) if node.op == "call_module" else {}
        records[node] = {"mase_type": mase_type, "mase_op": mase_op, "args": args, "results": {}}
    warn_unknown(unknown)
    return records


def warn_unknown(unknown: list[fx.Node]) -> None:
    if not unknown:
        return
    shown = ", ".join(f"{n.name} ({n.op} {getattr(n.target, '__name__', n.target)})" for n in unknown[:8])
    more = f" and {len(unknown) - 8} more" if len(unknown) > 8 else ""
    logger.warning(
        "%d node(s) run ops the taxonomy does not know, marked mase_op 'unknown': %s%s. "
        "Add them with chop.ir.register_op(target, mase_type, mase_op).",
        len(unknown), shown, more,
    )


def ensure_metadata(graph) -> None:
    """Give nodes that lack one an empty MaseMetadata."""
    for node in graph.fx_graph.nodes:
        if "mase" not in node.meta:
            node.meta["mase"] = MaseMetadata()


def has_op_metadata(graph) -> bool:
    return all("mase" in n.meta and "mase_op" in n.meta["mase"]["common"] for n in graph.fx_graph.nodes)


def ensure_op_metadata(graph) -> None:
    """Give the graph op metadata unless every node has it already."""
    if has_op_metadata(graph):
        return
    ensure_metadata(graph)
    for node, common in op_records(graph).items():
        node.meta["mase"]["common"] = common


ENSURE = {"metadata": ensure_metadata, "ops": ensure_op_metadata}


def ensure_needs(graph, needs: Iterable[str]) -> None:
    for need in needs:
        ENSURE[need](graph)

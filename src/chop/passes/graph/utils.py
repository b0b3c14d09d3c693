"""Node helpers: a node's mase op and type, its actual target, and comparing two graphs node by node."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from torch import fx, nn

from chop.errors import ChopError
from chop.passes.contract import working_copy
from chop.passes.graph.table import Table

logger = logging.getLogger(__name__)


def common_metadata(node: fx.Node) -> dict:
    meta = node.meta.get("mase")
    if meta is None or "mase_op" not in meta["common"]:
        raise ChopError(
            f"Node '{node.name}' has no common metadata; run init_metadata_analysis_pass and "
            f"add_common_metadata_analysis_pass first."
        )
    return meta["common"]


def get_mase_op(node: fx.Node) -> str:
    """The node's mase_op ('linear', 'relu', 'add', ...)."""
    return common_metadata(node)["mase_op"]


def get_mase_type(node: fx.Node) -> str:
    """The node's mase_type ('module', 'module_related_func', 'placeholder', ...)."""
    return common_metadata(node)["mase_type"]


def get_node_actual_target(node: fx.Node) -> Any:
    """The module object of a call_module node, the function of a call_function node, else the
    node's target (a method name, an input or attribute name, 'output')."""
    if node.op == "call_module":
        owner = node.graph.owning_module
        if owner is None:
            raise ChopError(f"Node '{node.name}' belongs to a graph with no module; cannot resolve it.")
        return owner.get_submodule(node.target)
    return node.target


def node_type_name(node: fx.Node) -> str:
    """A short name of what the node runs: the module class, function or method name."""
    target = get_node_actual_target(node)
    if isinstance(target, nn.Module):
        return type(target).__name__
    if node.op == "call_function":
        return getattr(target, "__name__", str(target))
    return str(target)


def _graph(graph) -> fx.Graph:
    if isinstance(graph, fx.Graph):
        return graph
    if isinstance(graph, fx.GraphModule):
        return graph.graph
    return graph.fx_graph


def _mase_or_blank(node: fx.Node, key: str) -> str:
    meta = node.meta.get("mase")
    return meta["common"].get(key, "") if meta is not None else ""


def graph_iterator_compare_nodes(ori_graph, graph, save_path: str | Path | None = None, silent: bool = False) -> Table:
    """Compare two graphs (MaseGraphs, GraphModules or fx Graphs) node by node, matched by name.

    One row per node of `graph`: its mase type and op, the type it ran before and after, and
    whether that changed (a module replaced by another class, a different function).
    """
    originals = {node.name: node for node in _graph(ori_graph).nodes}
    table = Table(["Node name", "Mase type", "Mase op", "Original type", "New type", "Changed"])
    for node in _graph(graph).nodes:
        new_type = node_type_name(node)
        before = originals.get(node.name)
        if before is None:
            ori_type, changed = "(absent)", True
        else:
            ori_type = node_type_name(before)
            changed = ori_type != new_type or (
                node.op == "call_module"
                and type(get_node_actual_target(before)) is not type(get_node_actual_target(node))
            ) or (node.op == "call_function" and before.target is not node.target)
        table.rows.append([node.name, _mase_or_blank(node, "mase_type"), _mase_or_blank(node, "mase_op"),
                           ori_type, new_type, changed])
    if save_path is not None:
        table.save(save_path)
    if not silent:
        logger.info("Node comparison:\n%s", table.render())
    return table


def deepcopy_mase_graph(mg):
    """An independent copy of a MaseGraph (model, node metadata and recipe), MASE's
    `ori_mg = deepcopy_mase_graph(mg)` before a transform. Passes here never mutate their input,
    so the copy is needed only when editing a graph by hand. (The transform passes' working copy.)"""
    return working_copy(mg)

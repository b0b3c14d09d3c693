"""`add_pruning_metadata_analysis_pass`: measured weight and activation sparsity per node.

Weight sparsity is the fraction of zeros in the weight a layer computes with (its effective,
masked weight); activation sparsity the fraction of zeros in each node's output on `dummy_in`
(measured only when `dummy_in` is given). Both go to
`node.meta["mase"]["software"]["pruning"]` = `{"weight_sparsity": ..., "activation_sparsity": ...}`
and into the returned tables.
"""

from __future__ import annotations

import torch
from torch import fx

from chop.passes.graph.analysis.record_values import run_interpreter
from chop.passes.graph.table import Table
from chop.passes.graph.transforms.prune.modules import effective_weight
from chop.passes.registry import register_pass

PASS = "add_pruning_metadata"
DEFAULTS: dict = {}


def zero_fraction(tensor: torch.Tensor) -> float:
    return float((tensor == 0).sum()) / max(tensor.numel(), 1)


class _ZeroCounter(fx.Interpreter):
    """Runs the graph, keeping the fraction of zeros of every tensor a node outputs."""

    def __init__(self, gm: fx.GraphModule):
        super().__init__(gm)
        self.sparsity: dict[str, float] = {}

    def run_node(self, node):
        result = super().run_node(node)
        if isinstance(result, torch.Tensor) and node.op not in ("placeholder", "output", "get_attr"):
            self.sparsity[node.name] = zero_fraction(result)
        return result


def _slot(node: fx.Node) -> dict:
    return node.meta["mase"]["software"].setdefault("pruning", {})


@register_pass(PASS, DEFAULTS, needs=("metadata",), context=("dummy_in",))
def add_pruning_metadata_analysis_pass(graph, args):
    """Record each node's measured weight and activation sparsity; returns the same graph."""
    weights: dict[str, float] = {}
    for node in graph.fx_graph.nodes:
        if node.op != "call_module":
            continue
        weight = effective_weight(graph.model.get_submodule(node.target))
        if weight is not None:
            with torch.no_grad():
                weights[node.name] = _slot(node)["weight_sparsity"] = zero_fraction(weight)
    activations: dict[str, float] = {}
    if args["dummy_in"] is not None:
        counter = _ZeroCounter(graph.model)
        run_interpreter(counter, args["dummy_in"])
        for node in graph.fx_graph.nodes:
            if node.name in counter.sparsity:
                activations[node.name] = _slot(node)["activation_sparsity"] = counter.sparsity[node.name]
    table = Table(["Node", "Weight sparsity", "Activation sparsity"], title="Measured sparsity")
    for node in graph.fx_graph.nodes:
        if node.name in weights or node.name in activations:
            w, a = weights.get(node.name), activations.get(node.name)
            table.rows.append([node.name, "" if w is None else f"{w:.4f}", "" if a is None else f"{a:.4f}"])
    return graph, {"weight_sparsity": weights, "activation_sparsity": activations,
                   "table": table, "text": table.render()}

"""`profile_statistics_analysis_pass`: statistics of chosen weights and activations.

Targets are mase ops (`"by": "type"`, e.g. ["linear", "relu"]) or node names (`"by": "name"`).
Weight statistics cover a target module's own parameters (`weight`, `bias`); activation
statistics cover a target node's first tensor input (`data_in_0` usually), seen over
`num_samples` batches drawn from `input_generator`, and its output too with
`profile_output_activation`. Results land in the software metadata:
`node.meta["mase"]["software"]["args"]["weight"]["stat"]["variance_precise"] = {...}`.

    profile_statistics_analysis_pass(mg, {
        "by": "type", "target_weight_nodes": ["linear"], "target_activation_nodes": ["relu"],
        "weight_statistics": {"variance_precise": {"device": "cpu", "dims": "all"}},
        "activation_statistics": {"range_quantile": {"device": "cpu", "dims": "all", "quantile": 0.97}},
        "input_generator": batches, "num_samples": 32})
"""

from __future__ import annotations


import torch
from torch import fx

from chop.errors import ConfigError, did_you_mean
from chop.ir.operand import leaves
from chop.ir.taxonomy import known_ops
from chop.passes.args import draw_batches, require_choice
from chop.passes.graph.analysis.record_values import run_interpreter
from chop.passes.graph.analysis.software_metadata import software_slot
from chop.passes.graph.analysis.statistics.stats import Statistic, make_statistics
from chop.passes.graph.utils import get_mase_op
from chop.passes.registry import register_pass
from chop.passes.select import NodeSelector

PASS = "profile_statistics"
PROFILE_DEFAULTS = {
    "by": "type",
    "target_weight_nodes": [],
    "target_activation_nodes": [],
    "weight_statistics": {},
    "activation_statistics": {},
    "num_samples": 1,
    "profile_output_activation": False,
}


def _selected(graph, by: str, targets: list[str], key: str) -> list[fx.Node]:
    nodes = list(graph.fx_graph.nodes)
    chosen = NodeSelector(by, tuple(targets))
    names = [n.name for n in nodes]
    for target in chosen.unknown(names, known_ops()):
        what, known = ("mase op", known_ops()) if by == "type" else ("node", names)
        raise ConfigError(f"Pass '{PASS}': {key} names unknown {what} '{target}'.{did_you_mean(target, known)}")
    return chosen.select(nodes, lambda n: (n.name, get_mase_op(n)))


class _ActivationProfiler(fx.Interpreter):
    """Runs the graph, feeding chosen nodes' first node input (and output) to statistics."""

    def __init__(self, gm, inputs: dict[str, tuple[str, fx.Node, dict]], outputs: dict[str, dict]):
        super().__init__(gm)
        self.inputs, self.outputs = inputs, outputs

    def run_node(self, node):
        if node.name in self.inputs:
            _, source, stats = self.inputs[node.name]
            value = self.env[source]
            if isinstance(value, torch.Tensor):
                for stat in stats.values():
                    stat.update(value)
        result = super().run_node(node)
        if node.name in self.outputs and isinstance(result, torch.Tensor):
            for stat in self.outputs[node.name].values():
                stat.update(result)
        return result


def _first_node_input(node: fx.Node) -> tuple[str, fx.Node] | None:
    """The operand name (`data_in_i`) and producer of the node's first input from another node."""
    for i, leaf in enumerate(leaves(node.args)):
        if isinstance(leaf, fx.Node):
            return f"data_in_{i}", leaf
    return None


def _profile_weights(graph, nodes, config) -> dict:
    found = {}
    for node in nodes:
        if node.op != "call_module":
            continue
        module = graph.model.get_submodule(node.target)
        for pname, param in module.named_parameters(recurse=False):
            stats = make_statistics(config)
            for stat in stats.values():
                stat.update(param)
            found.setdefault(node.name, {})[pname] = results = {k: s.finalize() for k, s in stats.items()}
            software_slot(node, "args", pname).update(results)
    return found


def _profile_activations(graph, nodes, config, args) -> dict:
    inputs: dict[str, tuple[str, fx.Node, dict[str, Statistic]]] = {}
    outputs: dict[str, dict[str, Statistic]] = {}
    for node in nodes:
        first = _first_node_input(node)
        if first is not None:
            inputs[node.name] = (*first, make_statistics(config))
        if args["profile_output_activation"]:
            outputs[node.name] = make_statistics(config)
    if not inputs and not outputs:
        return {}
    profiler = _ActivationProfiler(graph.model, inputs, outputs)
    for batch in draw_batches(PASS, args["input_generator"], args["num_samples"], "input batches"):
        run_interpreter(profiler, batch, "an input_generator batch")
    found: dict[str, dict] = {}
    for node in nodes:
        if node.name in inputs:
            name, _, stats = inputs[node.name]
            found.setdefault(node.name, {})[name] = results = {k: s.finalize() for k, s in stats.items()}
            software_slot(node, "args", name).update(results)
        if node.name in outputs:
            found.setdefault(node.name, {})["data_out_0"] = results = {
                k: s.finalize() for k, s in outputs[node.name].items()}
            software_slot(node, "results", "data_out_0").update(results)
    return found


def _check(args: dict) -> None:
    require_choice(PASS, "by", args["by"], ("type", "name"))
    make_statistics(args["weight_statistics"])  # check names and options before any work
    make_statistics(args["activation_statistics"])


@register_pass(PASS, PROFILE_DEFAULTS, check=_check, context=("input_generator",))
def profile_statistics_analysis_pass(graph, args):
    """Profile the chosen statistics; returns the same graph and {"weights", "activations"}."""
    weight_nodes = _selected(graph, args["by"], list(args["target_weight_nodes"] or []), "target_weight_nodes")
    act_nodes = _selected(graph, args["by"], list(args["target_activation_nodes"] or []), "target_activation_nodes")
    weights = _profile_weights(graph, weight_nodes, args["weight_statistics"]) if args["weight_statistics"] else {}
    activations = (
        _profile_activations(graph, act_nodes, args["activation_statistics"], args)
        if args["activation_statistics"] and act_nodes else {}
    )
    return graph, {"weights": weights, "activations": activations}

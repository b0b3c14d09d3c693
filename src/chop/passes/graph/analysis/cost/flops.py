"""`flops_analysis_pass` (alias `analyse_flops_pass`, TOML `[passes.flops]`): model cost.

Per node and in total: parameters, forward MACs and FLOPs, backward FLOPs, forward and backward
BitOPs at each operand's real number format, weight and activation memory in bits, and
sparsity-aware counts from the zeros of pruned weights. The formulas and their definitions are
in `contraction_ops.py` and `pointwise_ops.py`; an op without one is listed in "uncounted"
(never counted as zero), as is a node a formula could not count.

Units: the metadata was recorded with one batch (`dummy_in`); with `per_sample` (the default)
every count and the activation memory are divided by that batch size (the leading dimension of
the first input), otherwise they are for that whole batch. Parameters and weight memory do not
depend on the batch. `total_per_sample` and `total_per_batch` give both totals either way.
(Dividing assumes a node's work grows with the batch, true of every op whose output carries
the batch dimension; an op on parameters alone would be under-counted per sample.)

Needs `init_metadata_analysis_pass` and `add_common_metadata_analysis_pass` with `dummy_in`.
"""

from __future__ import annotations

import logging
from typing import Any

from chop.errors import ChopError
from chop.passes.graph.analysis.cost.node_cost import COUNT_KEYS, node_cost
from chop.passes.graph.analysis.cost.report import cost_table, save_cost
from chop.passes.graph.utils import common_metadata
from chop.passes.registry import register_pass

logger = logging.getLogger(__name__)

FLOPS_DEFAULTS = {"per_sample": True, "save_path": None, "silent": False}

#: Keys summed into the totals (node records also carry op, mase_type and sparsity).
TOTAL_KEYS = ("params", *COUNT_KEYS, "weight_memory_bits", "activation_memory_bits")
#: Keys proportional to the batch, divided by the batch size for per-sample figures.
BATCH_KEYS = (*COUNT_KEYS, "activation_memory_bits")


def batch_size(graph) -> int:
    """The leading dimension of the first input the metadata recorded."""
    for node in graph.fx_graph.nodes:
        if node.op != "placeholder":
            continue
        result = common_metadata(node)["results"].get("data_out_0")
        if not result or result.get("shape") is None:
            raise ChopError(
                f"Input '{node.name}' has no recorded shape; run add_common_metadata_analysis_pass "
                f"with dummy_in before flops_analysis_pass."
            )
        return int(result["shape"][0]) if result["shape"] else 1
    return 1


def _divide(value: Any, by: int) -> Any:
    if value is None or by == 1:
        return value
    quotient = value / by
    return int(quotient) if float(quotient).is_integer() else quotient


def per_sample(record: dict, batch: int) -> dict:
    """A copy of `record` with the batch-proportional keys divided by `batch`."""
    return {key: _divide(value, batch) if key in BATCH_KEYS else value for key, value in record.items()}


def totals(records: dict[str, dict]) -> dict[str, Any]:
    """Sums of TOTAL_KEYS over the nodes (uncounted ones add their params and memory only), and
    the MAC-weighted sparsity: 1 - sparse MACs / dense MACs."""
    total = {key: sum(r[key] for r in records.values() if r.get(key) is not None) for key in TOTAL_KEYS}
    macs = total["macs_forward"]
    total["sparsity"] = 1.0 - total["macs_forward_sparse"] / macs if macs else 0.0
    return total


@register_pass("flops", FLOPS_DEFAULTS, paths={"save_path": "file"})
def flops_analysis_pass(graph, args):
    """Count each node's cost; returns the same graph and
    {"nodes", "total", "uncounted", "reasons", "table", "text", "per_sample", "batch_size",
    "total_per_sample", "total_per_batch"}."""
    batch = batch_size(graph)
    batch_records: dict[str, dict] = {}
    reasons: dict[str, str] = {}
    for node in graph.fx_graph.nodes:
        common_metadata(node)  # a clear error when a pass that annotates nodes was not run
        batch_records[node.name], why = node_cost(node, graph.model)
        if why is not None:
            reasons[node.name] = why
    sample_records = {name: per_sample(r, batch) for name, r in batch_records.items()}
    nodes = sample_records if args["per_sample"] else batch_records
    result = {
        "nodes": nodes,
        "total": totals(nodes),
        "uncounted": list(reasons),
        "reasons": reasons,
        "per_sample": bool(args["per_sample"]),
        "batch_size": batch,
        "total_per_sample": totals(sample_records),
        "total_per_batch": totals(batch_records),
    }
    if reasons:
        logger.warning("Cost not counted for %d node(s): %s", len(reasons),
                       "; ".join(f"{n} ({why})" for n, why in reasons.items()))
    result["table"] = cost_table(result)
    result["text"] = result["table"].render()
    if args["save_path"] is not None:
        save_cost(result, args["save_path"])
    if not args["silent"]:
        logger.info("%s", result["text"])
    return graph, result


analyse_flops_pass = flops_analysis_pass
register_pass("cost")(flops_analysis_pass)  # an alias

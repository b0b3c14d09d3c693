"""One node's cost record: its formula's counts turned into FLOPs, BitOPs, memory and sparsity.

The record's keys (all for the batch the metadata was recorded with):
`params`, `macs_forward`, `flops_forward`, `flops_backward`, `bitops_forward`,
`bitops_backward`, `weight_memory_bits`, `activation_memory_bits`, `sparsity` (fraction of zero
weights, 0.0 for ops without one), and the sparsity-aware `macs_forward_sparse`,
`flops_forward_sparse`, `bitops_forward_sparse`. An op without a formula gets None for every
count a formula gives; its parameters and memory are still known and filled in.

- params: elements of the parameters the node owns (a module's, recursively; a `get_attr` of
  a Parameter); weight memory: each of those x the bits of its format (`bits.operand_bits`).
- activation memory: elements of the node's tensor results x their bits; views/bookkeeping
  ops (implicit_func), `get_attr` (a parameter, not an activation) and `output` hold none.
- sparsity-aware counts: MACs x nonzero/total of the effective weight (exact: each weight
  element takes part in the same number of MACs); FLOPs and BitOPs drop by the same MACs.
"""

from __future__ import annotations

import math
from typing import Any

from torch import fx, nn

from chop.nn.learned import learners
from chop.passes.graph.analysis.cost.bits import operand_bits
from chop.passes.graph.analysis.cost.formula import NodeView, OpCost, Uncountable, formula_for
from chop.passes.graph.analysis.cost.sparsity import weight_nonzeros

COUNT_KEYS = ("macs_forward", "flops_forward", "flops_backward", "bitops_forward", "bitops_backward",
              "macs_forward_sparse", "flops_forward_sparse", "bitops_forward_sparse")
NO_ACTIVATION_TYPES = ("implicit_func", "get_attr", "output")


def owned_parameters(node: fx.Node, model: fx.GraphModule) -> list[tuple[str, nn.Parameter]]:
    """(name, parameter) pairs the node owns (not a learned quantizer's widths: they are no
    weights of the model and vanish when frozen)."""
    if node.op == "call_module":
        module = model.get_submodule(node.target)
        widths = {id(p) for learner in learners(module) for p in learner.parameters()}
        return [(name, p) for name, p in module.named_parameters() if id(p) not in widths]
    if node.op == "get_attr":
        owner_path, _, attribute = node.target.rpartition(".")
        value = getattr(model.get_submodule(owner_path), attribute, None)
        return [("data_out_0", value)] if isinstance(value, nn.Parameter) else []
    return []


def _memory(common: dict, node: fx.Node, params: list[tuple[str, nn.Parameter]]) -> tuple[int, int | float, int | float]:
    """(parameters, weight memory bits, activation memory bits) of the node."""
    records = common["results"] if node.op == "get_attr" else common["args"]
    weight_bits = sum(p.numel() * operand_bits(records.get(name) or _dtype_record(p)) for name, p in params)
    activation_bits = 0.0
    if common["mase_type"] not in NO_ACTIVATION_TYPES:
        activation_bits = sum(math.prod(r["shape"]) * operand_bits(r)
                              for r in common["results"].values() if r.get("shape") is not None)
    return sum(p.numel() for _, p in params), _whole(weight_bits), _whole(activation_bits)


def _dtype_record(p: nn.Parameter) -> dict:
    return {"precision": [p.element_size() * 8]}


def _whole(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _bitops(cost: OpCost, args: dict, macs: int, flops: int) -> float:
    bits = math.prod(operand_bits(args.get(name)) for name in cost.bit_operands)
    return _whole((macs if cost.contraction else flops) * bits)


def counts(cost: OpCost, args: dict, nonzeros: tuple[int, int] | None) -> dict[str, Any]:
    """The count fields of a record from the formula's `cost`."""
    record = {
        "macs_forward": cost.macs, "flops_forward": cost.flops, "flops_backward": cost.flops_backward,
        "bitops_forward": _bitops(cost, args, cost.macs, cost.flops),
        "bitops_backward": _bitops(cost, args, cost.macs_backward, cost.flops_backward),
        "sparsity": 0.0,
    }
    sparse_macs = cost.macs
    if nonzeros is not None and nonzeros[1]:
        record["sparsity"] = 1.0 - nonzeros[0] / nonzeros[1]
        sparse_macs = cost.macs * nonzeros[0] // nonzeros[1]
    record["macs_forward_sparse"] = sparse_macs
    record["flops_forward_sparse"] = cost.flops - 2 * (cost.macs - sparse_macs)
    record["bitops_forward_sparse"] = _bitops(cost, args, sparse_macs, record["flops_forward_sparse"])
    return record


def node_cost(node: fx.Node, model: fx.GraphModule) -> tuple[dict[str, Any], str | None]:
    """The node's record, and why it is uncounted (None when it is counted)."""
    common = node.meta["mase"]["common"]
    params = owned_parameters(node, model)
    n_params, weight_bits, activation_bits = _memory(common, node, params)
    record: dict[str, Any] = {"op": common["mase_op"], "mase_type": common["mase_type"], "params": n_params,
                              "weight_memory_bits": weight_bits, "activation_memory_bits": activation_bits}
    formula = formula_for(common["mase_type"], common["mase_op"])
    module = model.get_submodule(node.target) if node.op == "call_module" else None
    has_params = bool(params) or _reads_parameter(node, model)
    view = NodeView(node, common["args"], common["results"], common["mase_op"], module, has_params)
    try:
        if formula is None:
            raise Uncountable(f"no cost formula for op '{common['mase_op']}'")
        cost = formula(view)
    except Uncountable as why:
        record.update(dict.fromkeys(COUNT_KEYS), sparsity=None)
        return record, str(why)
    nonzeros = None
    if cost.weight is not None:
        nonzeros = weight_nonzeros(node, common["args"][cost.weight], model)
    record.update(counts(cost, common["args"], nonzeros))
    return record, None


def _reads_parameter(node: fx.Node, model: fx.GraphModule) -> bool:
    """True when a functional node takes a Parameter through a get_attr input (F.layer_norm's weight)."""
    return any(owned_parameters(n, model) for n in node.all_input_nodes if n.op == "get_attr")

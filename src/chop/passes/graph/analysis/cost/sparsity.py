"""How much of a node's weight is zero: the measure behind sparsity-aware counts.

Pruning leaves either zeros in the weight or a `weight_mask` next to it (the
`torch.nn.utils.prune` layout: the dense tensor in `weight_orig`, the mask in `weight_mask`,
`weight` = their product). The effective weight is `weight` (or `weight_orig`) times
`weight_mask` when there is one; its fraction of nonzeros scales the MACs that use it, since a
zero weight's multiply-accumulate can be skipped.
"""

from __future__ import annotations

import torch
from torch import fx, nn

from chop.nn.masked import effective_weight


def nonzero_fraction(weight: torch.Tensor) -> tuple[int, int]:
    """(nonzero elements, all elements) of `weight`."""
    with torch.no_grad():
        return int(torch.count_nonzero(weight)), weight.numel()


def weight_owner(node: fx.Node, operand: dict, model: fx.GraphModule) -> tuple[nn.Module, str] | None:
    """The module and attribute name holding the weight operand of `node`.

    A module call owns its weight; a functional call reads it from a `get_attr` node, whose
    target is the dotted path `owner.attribute`.
    """
    if node.op == "call_module":
        return model.get_submodule(node.target), "weight"
    producer = operand.get("from")
    source = next((n for n in node.all_input_nodes if n.name == producer), None)
    if source is None or source.op != "get_attr":
        return None
    owner_path, _, attribute = source.target.rpartition(".")
    return model.get_submodule(owner_path), attribute


def weight_nonzeros(node: fx.Node, operand: dict, model: fx.GraphModule) -> tuple[int, int] | None:
    """(nonzero, total) elements of the node's effective weight, or None when it has none."""
    found = weight_owner(node, operand, model)
    if found is None:
        return None
    weight = effective_weight(*found)
    return nonzero_fraction(weight) if weight is not None else None

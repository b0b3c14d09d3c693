"""Cost formulas of the ops that multiply and accumulate: linear, conv, matmul, embedding.

Definitions (counts for the batch the metadata recorded):
- MACs: one multiply-accumulate per weight (or right-hand operand) element each output uses:
  linear `out_numel x in_features`; conv `out_numel x (in_channels / groups) x prod(kernel)`,
  read from the weight shape `[C_out, C_in / groups, *kernel]` so that strides, padding and
  groups need no special case (padded positions are counted as if they held data);
  matmul/mm/bmm `out_numel x K` with K the shared (last) dimension of the left operand.
- Forward FLOPs = 2 x MACs (one multiply, one add) plus one add per output element for a bias.
  `torch.utils.flop_counter.FlopCounterMode` counts the same 2 x MACs and no bias adds.
- Backward FLOPs = 2 x forward: the gradient with respect to the input and the one with respect
  to the weight (for matmul: to each operand) each cost one forward's worth.
- BitOPs = MACs x bits(input) x bits(weight) (for matmul: x bits of both operands); bias adds
  are not in BitOPs. Backward BitOPs = backward MACs (2 x MACs) x the same bits.
- Embedding: a table lookup, no arithmetic forward; backward accumulates one gradient value per
  output element into the table (FLOPs = out_numel, BitOPs = that x bits(weight)).
- scaled_dot_product_attention: Q K^T and the product with V as two matmuls, plus softmax at
  3 FLOPs per score (see `pointwise_ops`); the mask and the scaling are not counted.
"""

from __future__ import annotations

import math

from chop.passes.graph.analysis.cost.formula import NodeView, OpCost, Uncountable, register_cost_formula

#: Where a weight/bias operand is found: a module's parameter (prune-style modules keep the
#: dense tensor as `weight_orig`), or the functional call's second/third input.
WEIGHT_NAMES = ("weight", "weight_orig", "data_in_1")
BIAS_NAMES = ("bias", "bias_orig", "data_in_2")


def _weight(view: NodeView) -> str:
    name = view.first(*WEIGHT_NAMES)
    if name is None:
        raise Uncountable("no weight operand recorded")
    return name


def _contraction(macs: int, extra_flops: int, a: str, b: str, weight: str | None) -> OpCost:
    flops = 2 * macs + extra_flops
    return OpCost(macs=macs, flops=flops, macs_backward=2 * macs, flops_backward=2 * flops,
                  bit_operands=(a, b), weight=weight)


def _bias_adds(view: NodeView) -> int:
    return view.out_numel() if view.first(*BIAS_NAMES) is not None else 0


@register_cost_formula("linear")
def linear_cost(view: NodeView) -> OpCost:
    weight = _weight(view)
    macs = view.out_numel() * view.shape(weight)[-1]
    return _contraction(macs, _bias_adds(view), "data_in_0", weight, weight)


@register_cost_formula("conv")
def conv_cost(view: NodeView) -> OpCost:
    weight = _weight(view)
    per_output = math.prod(view.shape(weight)[1:])
    macs = view.out_numel() * per_output
    return _contraction(macs, _bias_adds(view), "data_in_0", weight, weight)


@register_cost_formula("matmul")
def matmul_cost(view: NodeView) -> OpCost:
    shared = view.shape("data_in_0")[-1]
    view.shape("data_in_1")  # both operands must be tensors
    return _contraction(view.out_numel() * shared, 0, "data_in_0", "data_in_1", None)


@register_cost_formula("embedding")
def embedding_cost(view: NodeView) -> OpCost:
    weight = _weight(view)
    return OpCost(flops_backward=view.out_numel(), bit_operands=(weight,))


@register_cost_formula("attention")
def attention_cost(view: NodeView) -> OpCost:
    query, key = view.shape("data_in_0"), view.shape("data_in_1")
    value_width = view.shape("data_in_2")[-1]
    rows = math.prod(query[:-1])  # batch x heads x target length
    scores = rows * key[-2]
    macs = scores * query[-1] + scores * value_width
    return _contraction(macs, 3 * scores, "data_in_0", "data_in_1", None)

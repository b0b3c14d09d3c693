"""Cost analysis: FLOPs, MACs, BitOPs, parameters and memory of a MaseGraph, per node and in total.

    mg, cost = flops_analysis_pass(mg, {"per_sample": True})
    cost["total"]["flops_forward"], cost["total"]["bitops_forward"], cost["text"]

What is counted (the formulas' modules state each op's rule):
- MACs: multiply-accumulates of linear, conv and matmul-type ops; FLOPs = 2 x MACs, plus one
  add per output for a bias (FlopCounterMode counts the same 2 x MACs, without bias adds);
  element-wise ops 1 FLOP per element; batch norm (inference, folded) 2 per element.
- Backward FLOPs: 2 x forward for contractions and ops with parameters (gradients for the input
  and for the weights), 1 x forward for the rest.
- BitOPs: MACs x bits(input) x bits(weight) for contractions (both operands for matmul);
  FLOPs x bits(data) for other ops. Bits come from each operand's real number format, 32 for
  float32 (`operand_bits`).
- Memory: weight memory = parameter elements x their format's bits; activation memory =
  output elements x their bits. Sparsity-aware counts scale MACs by the weight's nonzero share.
- Units: per sample by default, or per the metadata's batch (`per_sample=False`).
An op without a formula is listed in `result["uncounted"]`, never counted as zero;
`register_cost_formula` adds one for a user's own op.
"""

from chop.passes.graph.analysis.cost import contraction_ops, pointwise_ops  # noqa: F401 (register)
from chop.passes.graph.analysis.cost.bits import operand_bits
from chop.passes.graph.analysis.cost.flops import analyse_flops_pass, flops_analysis_pass
from chop.passes.graph.analysis.cost.formula import (
    COST_FORMULAS,
    NodeView,
    OpCost,
    Uncountable,
    register_cost_formula,
)

__all__ = [
    "COST_FORMULAS",
    "NodeView",
    "OpCost",
    "Uncountable",
    "analyse_flops_pass",
    "flops_analysis_pass",
    "operand_bits",
    "register_cost_formula",
]

"""Cost formulas of element-wise ops, normalisations, softmax, reductions and pooling.

Each is registered under a formula name ("elementwise", "norm", ...) that op rows name
(`chop.nn.optable`); which ops use which formula is in the table.

Definitions (counts for the batch the metadata recorded; "element" = output element unless
said otherwise):
- activations (relu, gelu, sigmoid, ...) and arithmetic (add, mul, sub, div, exp, clamp,
  comparisons, ...): 1 FLOP per element. Transcendental functions cost more on real hardware;
  one operation each keeps the count hardware-neutral, as most published counters do.
- batch_norm1d/2d/3d (inference): 2 FLOPs per element, the scale and shift left after folding the
  running statistics into the affine parameters.
- layer_norm / group_norm / instance_norm: 5 FLOPs per element (sum for the mean, subtract,
  square, sum for the variance, multiply by 1/std) plus 1 per element for each affine tensor
  (weight, bias); the per-row square roots are not counted.
- rms_norm: 3 FLOPs per element (square, sum for the mean square, multiply by 1/rms) plus 1
  per element for the weight; the per-row square roots are not counted.
- softmax / log_softmax: 3 FLOPs per element (exp, sum, divide or log-subtract); the max
  subtraction for numerical safety is not counted.
- sum/mean/max/min/argmax: 1 FLOP per input element (the reduction's adds or comparisons).
- max pooling: kernel_elements - 1 comparisons per output; average pooling: kernel_elements
  (kernel_elements - 1 adds and one scale); adaptive average pooling: 1 per input element, exact
  when the output size divides the input size.
- dropout: 0 (the identity at inference, the mode the cost is reported for).
Backward FLOPs: the input gradient costs one forward (1x); an op with trainable parameters
(affine norms) also computes their gradient, one more forward's worth (2x).
BitOPs of these ops = FLOPs x bits of the data input (`data_in_0`).
"""

from __future__ import annotations

import math

from chop.passes.graph.analysis.cost.formula import NodeView, OpCost, Uncountable, register_cost_formula

NORM_STEPS = 5
RMS_NORM_STEPS = 3
SOFTMAX_STEPS = 3


def pointwise(view: NodeView, flops: int) -> OpCost:
    """An op that reads `data_in_0`: backward is 1x forward, 2x when it has parameters."""
    backward = flops * (2 if view.has_params else 1)
    return OpCost(flops=flops, flops_backward=backward, bit_operands=("data_in_0",))


@register_cost_formula("elementwise")
def elementwise_cost(view: NodeView) -> OpCost:
    return pointwise(view, view.out_numel())


@register_cost_formula("dropout")
def dropout_cost(view: NodeView) -> OpCost:
    return OpCost()


@register_cost_formula("reduction")
def reduction_cost(view: NodeView) -> OpCost:
    read = view.numel("data_in_0") if view.tensor("data_in_0") is not None else 0
    return pointwise(view, max(read, view.out_numel()))


@register_cost_formula("batch_norm")
def batch_norm_cost(view: NodeView) -> OpCost:
    return pointwise(view, 2 * view.out_numel())


def _affine_tensors(view: NodeView) -> int:
    """How many affine tensors (weight, bias) the norm applies."""
    if view.module is not None:
        return sum(getattr(view.module, name, None) is not None for name in ("weight", "bias"))
    return sum(1 for name in view.args if name != "data_in_0" and view.tensor(name) is not None)


@register_cost_formula("norm")
def norm_cost(view: NodeView) -> OpCost:
    return pointwise(view, (NORM_STEPS + _affine_tensors(view)) * view.out_numel())


@register_cost_formula("rms_norm")
def rms_norm_cost(view: NodeView) -> OpCost:
    return pointwise(view, (RMS_NORM_STEPS + _affine_tensors(view)) * view.out_numel())


@register_cost_formula("softmax")
def softmax_cost(view: NodeView) -> OpCost:
    return pointwise(view, SOFTMAX_STEPS * view.out_numel())


def kernel_elements(view: NodeView, dims: int) -> int:
    """Elements of a pooling window, from the module or the functional call's kernel_size."""
    size = getattr(view.module, "kernel_size", None) if view.module is not None else view.call_arg(1, "kernel_size")
    if isinstance(size, int):
        return size**dims
    if isinstance(size, (tuple, list)) and all(isinstance(s, int) for s in size):
        return math.prod(size)
    raise Uncountable(f"pooling kernel size {size!r} is not known before running")


@register_cost_formula("max_pool")
def max_pool_cost(view: NodeView) -> OpCost:
    dims = 2 if view.op.endswith("2d") else 1
    return pointwise(view, view.out_numel() * (kernel_elements(view, dims) - 1))


@register_cost_formula("avg_pool")
def avg_pool_cost(view: NodeView) -> OpCost:
    dims = 2 if view.op.endswith("2d") else 1
    return pointwise(view, view.out_numel() * kernel_elements(view, dims))


@register_cost_formula("adaptive_avg_pool")
def adaptive_avg_pool_cost(view: NodeView) -> OpCost:
    return pointwise(view, view.numel("data_in_0"))

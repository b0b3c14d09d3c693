"""The op -> cost formula table: what a formula sees (`NodeView`) and returns (`OpCost`).

A formula is `fn(view: NodeView) -> OpCost`, registered under a name with
`@register_cost_formula("elementwise", ...)` in `COST_FORMULAS` (the one Registry mechanism). An
op's row in the op table (`chop.nn.optable`) names its formula (`cost="elementwise"`); a formula
registered under a mase_op itself is that op's (so a user's own op gets one without a row). A formula that cannot count a node (a kernel size only
known at run time, say) raises `Uncountable`; the pass then lists the node as uncounted.

Counts are for the whole batch the metadata was recorded with; the pass derives per-sample ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import fx, nn

from chop.nn.optable import op_row
from chop.registry import Registry


class Uncountable(Exception):
    """Raised by a formula that cannot count this particular node; the message says why."""


@dataclass(frozen=True)
class OpCost:
    """The arithmetic of one node for one batch.

    `macs`/`macs_backward`: multiply-accumulates of a contraction (linear, conv, matmul); zero for
    other ops. `flops`/`flops_backward`: all arithmetic operations. `bit_operands` names the
    operands whose bits make BitOPs: two for a contraction (BitOPs = MACs x bits x bits), one for
    any other op (BitOPs = FLOPs x bits). `weight` names the weight operand whose zeros make
    sparsity-aware counts (None: the op has no weight to prune).
    """

    macs: int = 0
    flops: int = 0
    macs_backward: int = 0
    flops_backward: int = 0
    bit_operands: tuple[str, ...] = ("data_in_0",)
    weight: str | None = None

    @property
    def contraction(self) -> bool:
        return len(self.bit_operands) == 2


@dataclass
class NodeView:
    """What a formula may read about a node: its operand records, mase op, fx node and module."""

    node: fx.Node
    args: Mapping[str, dict]
    results: Mapping[str, dict]
    op: str = ""
    module: nn.Module | None = None
    has_params: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def tensor(self, name: str) -> dict | None:
        """The record of operand `name` (an input or parameter) when it is a tensor, else None."""
        record = self.args.get(name)
        return record if record is not None and record.get("shape") is not None else None

    def shape(self, name: str) -> list[int]:
        record = self.tensor(name)
        if record is None:
            raise Uncountable(f"operand '{name}' is not a tensor with a recorded shape")
        return list(record["shape"])

    def numel(self, name: str) -> int:
        return math.prod(self.shape(name))

    def out_numel(self) -> int:
        """Elements of all tensor results (0 for a node producing a Python value)."""
        return sum(math.prod(r["shape"]) for r in self.results.values() if r.get("shape") is not None)

    def first(self, *names: str) -> str | None:
        """The first of `names` that is a tensor operand of this node."""
        return next((n for n in names if self.tensor(n) is not None), None)

    def call_arg(self, index: int, keyword: str) -> Any:
        """A Python argument of the fx call, positional `index` or keyword `keyword`."""
        if keyword in self.node.kwargs:
            return self.node.kwargs[keyword]
        return self.node.args[index] if len(self.node.args) > index else None


Formula = Callable[[NodeView], OpCost]

COST_FORMULAS: Registry[Formula] = Registry("cost formula")

#: Node kinds that compute nothing: their cost is zero by definition, never "uncounted".
ZERO_COST_TYPES = ("placeholder", "get_attr", "output", "implicit_func")


def register_cost_formula(*names: str, replace: bool = False):
    """Decorator registering `fn(view) -> OpCost` under each of `names` (formula names that op
    rows give, or mase ops)."""

    def wrap(fn: Formula) -> Formula:
        for op in names:
            COST_FORMULAS.register(op, fn, replace=replace)
        return fn

    return wrap


def formula_for(mase_type: str, mase_op: str) -> Formula | None:
    """The formula of a node: zero for the kinds that compute nothing, else the one registered
    under its mase_op, else the one its op row names, else None."""
    if mase_type in ZERO_COST_TYPES:
        return _zero
    row = op_row(mase_op)
    for name in (mase_op, row.cost if row is not None else None):
        if name is not None and name in COST_FORMULAS:
            return COST_FORMULAS.get(name)
    return None


def _zero(view: NodeView) -> OpCost:
    return OpCost()

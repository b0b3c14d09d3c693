"""The op taxonomy: which `mase_type` and `mase_op` a graph node has, from the op table.

The table itself (one row per op: its keys, mase type, quantization, cost formula, channel
behaviour and integer lowering) is `chop.nn.optable`; this file reads it for fx nodes. Module
classes are looked up along the class's MRO, so a subclass of `nn.Linear` (a quantized linear,
say) is still a `linear`. `register_op` adds a key for a user's own leaf module.
"""

from __future__ import annotations

from torch import fx, nn

from chop.nn.optable import MASE_TYPES, OPS, UNKNOWN_OP, op_row, register_op

__all__ = ["MASE_TYPES", "OPS", "UNKNOWN_OP", "classify", "known_ops", "lookup", "op_row", "register_op"]

_FIXED = {"placeholder": "placeholder", "get_attr": "get_attr", "output": "output"}
_FALLBACK_TYPE = {"call_module": "module", "call_function": "builtin_func", "call_method": "builtin_func"}


def lookup(op: str, target: object, module: nn.Module | None = None) -> tuple[str, str] | None:
    """(mase_type, mase_op) of an fx node's kind and target, or None when not in the table."""
    if op in _FIXED:
        return (op, _FIXED[op])
    if op == "call_module":
        for cls in type(module).__mro__:
            if cls in OPS:
                return OPS[cls]
        return None
    try:
        return OPS.get(target)
    except TypeError:  # an unhashable target is not in the table
        return None


def classify(node: fx.Node, modules: dict[str, nn.Module]) -> tuple[str, str]:
    """(mase_type, mase_op) of `node`; an op missing from the table gets mase_op 'unknown'."""
    module = modules.get(node.target) if node.op == "call_module" else None
    found = lookup(node.op, node.target, module)
    if found is not None:
        return found
    return (_FALLBACK_TYPE.get(node.op, node.op), UNKNOWN_OP)


def known_ops() -> list[str]:
    """Every mase_op the table knows (for suggestions in configs that name ops)."""
    return sorted({op for _, op in OPS.values()} | set(_FIXED.values()))

"""The op taxonomy: which `mase_type` and `mase_op` a graph node has, from ONE table.

Every way of writing an operation (a module class, a function, a tensor method name) is a key of
`OPS`, listed in one row with its `(mase_type, mase_op)`. The mase types are:

- `placeholder`, `get_attr`, `output`: the fx node kinds of the same names;
- `module`: a layer kept as a module because it holds state or depends on the training mode
  (batch/layer/group norm, dropout);
- `module_related_func`: a layer that is one functional op (linear, conv, activations, pooling),
  whether written as a module or as the function;
- `builtin_func`: arithmetic on tensors (add, matmul, mean, ...);
- `implicit_func`: shape and bookkeeping ops that compute nothing (view, size, getitem, ...).

Module classes are looked up along the class's MRO, so a subclass of `nn.Linear` (a quantized
linear, say) is still a `linear`. `register_op` adds a row for a user's own leaf module.
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Iterable

import torch
import torch.nn.functional as F
from torch import fx, nn

from chop.errors import ConfigError

MASE_TYPES = (
    "placeholder", "get_attr", "output", "module", "module_related_func", "builtin_func",
    "implicit_func",
)
UNKNOWN_OP = "unknown"

MODULE, RELATED, BUILTIN, IMPLICIT = "module", "module_related_func", "builtin_func", "implicit_func"

# (mase_type, mase_op, [module classes, functions and tensor-method names that mean this op])
_ROWS: list[tuple[str, str, list]] = [
    (MODULE, "batch_norm1d", [nn.BatchNorm1d]),
    (MODULE, "batch_norm2d", [nn.BatchNorm2d]),
    (MODULE, "batch_norm", [F.batch_norm]),
    (MODULE, "layer_norm", [nn.LayerNorm, F.layer_norm]),
    (MODULE, "group_norm", [nn.GroupNorm, F.group_norm]),
    (MODULE, "instance_norm2d", [nn.InstanceNorm2d]),
    (MODULE, "dropout", [nn.Dropout, nn.Dropout1d, nn.Dropout2d, F.dropout]),
    (RELATED, "linear", [nn.Linear, F.linear]),
    (RELATED, "conv1d", [nn.Conv1d, F.conv1d]),
    (RELATED, "conv2d", [nn.Conv2d, F.conv2d]),
    (RELATED, "embedding", [nn.Embedding, F.embedding]),
    (RELATED, "relu", [nn.ReLU, F.relu, torch.relu, "relu"]),
    (RELATED, "relu6", [nn.ReLU6, F.relu6]),
    (RELATED, "leaky_relu", [nn.LeakyReLU, F.leaky_relu]),
    (RELATED, "elu", [nn.ELU, F.elu]),
    (RELATED, "selu", [nn.SELU, F.selu, torch.selu]),
    (RELATED, "gelu", [nn.GELU, F.gelu]),
    (RELATED, "silu", [nn.SiLU, F.silu]),
    (RELATED, "sigmoid", [nn.Sigmoid, F.sigmoid, torch.sigmoid, "sigmoid"]),
    (RELATED, "tanh", [nn.Tanh, F.tanh, torch.tanh, "tanh"]),
    (RELATED, "hardtanh", [nn.Hardtanh, F.hardtanh]),
    (RELATED, "hardswish", [nn.Hardswish, F.hardswish]),
    (RELATED, "hardsigmoid", [nn.Hardsigmoid, F.hardsigmoid]),
    (RELATED, "softplus", [nn.Softplus, F.softplus]),
    (RELATED, "softsign", [nn.Softsign, F.softsign]),
    (RELATED, "softmax", [nn.Softmax, F.softmax, torch.softmax, "softmax"]),
    (RELATED, "log_softmax", [nn.LogSoftmax, F.log_softmax, torch.log_softmax, "log_softmax"]),
    (RELATED, "max_pool1d", [nn.MaxPool1d, F.max_pool1d]),
    (RELATED, "max_pool2d", [nn.MaxPool2d, F.max_pool2d]),
    (RELATED, "avg_pool1d", [nn.AvgPool1d, F.avg_pool1d]),
    (RELATED, "avg_pool2d", [nn.AvgPool2d, F.avg_pool2d]),
    (RELATED, "adaptive_avg_pool1d", [nn.AdaptiveAvgPool1d, F.adaptive_avg_pool1d]),
    (RELATED, "adaptive_avg_pool2d", [nn.AdaptiveAvgPool2d, F.adaptive_avg_pool2d]),
    (RELATED, "cross_entropy", [nn.CrossEntropyLoss, F.cross_entropy]),
    (RELATED, "mse_loss", [nn.MSELoss, F.mse_loss]),
    (BUILTIN, "scaled_dot_product_attention", [F.scaled_dot_product_attention]),
    (BUILTIN, "add", [operator.add, operator.iadd, torch.add, "add", "add_"]),
    (BUILTIN, "sub", [operator.sub, operator.isub, torch.sub, torch.rsub, "sub", "rsub"]),
    (BUILTIN, "mul", [operator.mul, operator.imul, torch.mul, "mul", "mul_"]),
    (BUILTIN, "div", [operator.truediv, operator.itruediv, torch.div, "div"]),
    (BUILTIN, "floordiv", [operator.floordiv]),
    (BUILTIN, "neg", [operator.neg, torch.neg, "neg"]),
    (BUILTIN, "pow", [operator.pow, torch.pow, "pow"]),
    (BUILTIN, "matmul", [operator.matmul, torch.matmul, "matmul"]),
    (BUILTIN, "bmm", [torch.bmm, "bmm"]),
    (BUILTIN, "mm", [torch.mm, "mm"]),
    (BUILTIN, "sqrt", [torch.sqrt, "sqrt"]),
    (BUILTIN, "rsqrt", [torch.rsqrt, "rsqrt"]),
    (BUILTIN, "exp", [torch.exp, "exp"]),
    (BUILTIN, "log", [torch.log, "log"]),
    (BUILTIN, "abs", [operator.abs, torch.abs, "abs"]),
    (BUILTIN, "erf", [torch.erf, "erf"]),
    (BUILTIN, "clamp", [torch.clamp, "clamp"]),
    (BUILTIN, "mean", [torch.mean, "mean"]),
    (BUILTIN, "sum", [torch.sum, "sum"]),
    (BUILTIN, "max", [torch.max, "max"]),
    (BUILTIN, "min", [torch.min, "min"]),
    (BUILTIN, "argmax", [torch.argmax, "argmax"]),
    (BUILTIN, "cat", [torch.cat]),
    (BUILTIN, "stack", [torch.stack]),
    (BUILTIN, "where", [torch.where]),
    (BUILTIN, "masked_fill", [torch.masked_fill, "masked_fill"]),
    (BUILTIN, "eq", [operator.eq, torch.eq, "eq"]),
    (BUILTIN, "ne", [operator.ne, torch.ne, "ne"]),
    (BUILTIN, "lt", [operator.lt, torch.lt, "lt"]),
    (BUILTIN, "gt", [operator.gt, torch.gt, "gt"]),
    (BUILTIN, "le", [operator.le, "le"]),
    (BUILTIN, "ge", [operator.ge, "ge"]),
    (IMPLICIT, "getitem", [operator.getitem]),
    (IMPLICIT, "getattr", [builtins.getattr]),
    (IMPLICIT, "identity", [nn.Identity]),
    (IMPLICIT, "flatten", [nn.Flatten, torch.flatten, "flatten"]),
    (IMPLICIT, "unflatten", [nn.Unflatten, torch.unflatten, "unflatten"]),
    (IMPLICIT, "view", ["view", "view_as"]),
    (IMPLICIT, "reshape", [torch.reshape, "reshape"]),
    (IMPLICIT, "size", ["size", "dim", "numel"]),
    (IMPLICIT, "permute", [torch.permute, "permute"]),
    (IMPLICIT, "transpose", [torch.transpose, "transpose", "t"]),
    (IMPLICIT, "contiguous", ["contiguous"]),
    (IMPLICIT, "expand", ["expand", "expand_as", "repeat"]),
    (IMPLICIT, "squeeze", [torch.squeeze, "squeeze"]),
    (IMPLICIT, "unsqueeze", [torch.unsqueeze, "unsqueeze"]),
    (IMPLICIT, "split", [torch.split, torch.chunk, "split", "chunk"]),
    (IMPLICIT, "type_cast", ["to", "type", "type_as", "float", "half", "int", "long", "bool"]),
    (IMPLICIT, "clone", [torch.clone, "clone", "detach"]),
    (IMPLICIT, "constant", [torch.ones, torch.zeros, torch.full, torch.arange, torch.tensor,
                            torch.finfo, torch.ones_like, torch.zeros_like]),
]

OPS: dict[object, tuple[str, str]] = {
    key: (mase_type, mase_op) for mase_type, mase_op, keys in _ROWS for key in keys
}

_FIXED = {"placeholder": "placeholder", "get_attr": "get_attr", "output": "output"}
_FALLBACK_TYPE = {"call_module": MODULE, "call_function": BUILTIN, "call_method": BUILTIN}


def register_op(key: type | object | str, mase_type: str, mase_op: str, *, replace: bool = False) -> None:
    """Add a row: a module class, function or tensor-method name and its (mase_type, mase_op)."""
    if mase_type not in MASE_TYPES:
        raise ConfigError(f"Unknown mase_type '{mase_type}'; choose one of {', '.join(MASE_TYPES)}.")
    if key in OPS and not replace and OPS[key] != (mase_type, mase_op):
        raise ConfigError(f"{key!r} is already the op {OPS[key]}; pass replace=True to change it.")
    OPS[key] = (mase_type, mase_op)


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


def ops_of_type(mase_type: str) -> Iterable[str]:
    return sorted({op for t, op in OPS.values() if t == mase_type})

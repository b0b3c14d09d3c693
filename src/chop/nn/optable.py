"""The op table: one row per op, found by its `mase_op`, saying everything machop knows of it.

A row (`OpRow`) holds
- `mase_op` and `mase_type` (see below), and `keys`: every way of writing the op (module
  classes, functions, tensor-method names). Module classes are matched along the class's MRO,
  so a subclass of `nn.Linear` (a quantized or masked linear) is still a `linear`;
- `quantize`: how its module classes are quantized (operands, parameters, the computation with
  quantized parameters; `chop.nn.quantized` builds its quantized classes from it), or None;
- `cost`: the name of its cost formula, registered in the cost analysis's `COST_FORMULAS`;
- `channels`: how output channels pass through it for channel pruning: "layer" (a prunable layer
  whose weight's axis 0 is its output channels), "elementwise" (each channel on its own),
  "spatial" (each channel on its own on a conv's (N, C, ...) output), "norm" (per-channel state,
  pruned with the layer before it), or None (channels stop here);
- `lowering`: the name of its integer lowering, registered in `chop.export`'s `LOWERINGS`.
Higher layers register formulas and lowerings under those names through the one Registry
mechanism, and the tests check that every name a row gives is registered. Adding an op whose
formula and lowering exist already is one row here.

The mase types: `placeholder`, `get_attr`, `output` (the fx node kinds of the same names);
`module` (a layer kept as a module because it holds state or depends on the training mode:
batch/layer/group norm, dropout); `module_related_func` (a layer that is one functional op:
linear, conv, activations, pooling, whether written as a module or as the function);
`builtin_func` (arithmetic on tensors: add, matmul, mean, ...); `implicit_func` (shape and
bookkeeping ops that compute nothing: view, size, getitem, ...).
"""

from __future__ import annotations

import builtins
import operator
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import replace as _changed

import torch
import torch.nn.functional as F
from torch import nn

from chop.errors import ConfigError
from chop.nn import compute
from chop.nn.functions import Add, Bmm, Div, Matmul, Mul, Sub
from chop.registry import Registry

MASE_TYPES = (
    "placeholder", "get_attr", "output", "module", "module_related_func", "builtin_func",
    "implicit_func",
)
UNKNOWN_OP = "unknown"
MODULE, RELATED, BUILTIN, IMPLICIT = "module", "module_related_func", "builtin_func", "implicit_func"
CHANNEL_KINDS = ("layer", "elementwise", "spatial", "norm")


@dataclass(frozen=True)
class Quantize:
    """How the row's module classes are quantized."""

    #: Input operand names, in call order (metadata names: data_in_0, data_in_1, ...).
    inputs: tuple[str, ...] = ("data_in_0",)
    #: Parameter attributes that are quantized operands of the same name.
    parameters: tuple[str, ...] = ()
    #: compute(module, *inputs, *parameters); None: the float class's forward on the inputs.
    compute: Callable[..., torch.Tensor] | None = None
    #: Show the operand specs in repr (for ops whose float repr says nothing, e.g. add).
    show_specs: bool = False
    #: call_function targets and call_method names replaced by the row's (function) module.
    functions: tuple = ()


@dataclass(frozen=True)
class OpRow:
    """Everything known of one op (see the module docstring)."""

    mase_type: str
    mase_op: str
    keys: tuple = ()
    quantize: Quantize | None = None
    cost: str | None = None
    channels: str | None = None
    lowering: str | None = None

    def module_classes(self) -> list[type[nn.Module]]:
        return [k for k in self.keys if isinstance(k, type) and issubclass(k, nn.Module)]


#: A parameter-free op: quantize the inputs (and optionally the output), run the float forward.
PLAIN = Quantize()
WEIGHT_AND_BIAS = ("weight", "bias")


def _function(*functions) -> Quantize:
    return Quantize(inputs=("data_in_0", "data_in_1"), show_specs=True, functions=functions)


def _activation(op: str, *keys, channels: str | None = "elementwise", quantize=PLAIN) -> OpRow:
    return OpRow(RELATED, op, keys, quantize, cost="elementwise", channels=channels)


def _arithmetic(op: str, *keys, quantize: Quantize | None = None) -> OpRow:
    return OpRow(BUILTIN, op, keys, quantize, cost="elementwise")


def _implicit(op: str, *keys) -> OpRow:
    return OpRow(IMPLICIT, op, keys)


def _batch_norm(op: str, cls: type, lowering: str | None) -> OpRow:
    quantize = Quantize(parameters=WEIGHT_AND_BIAS, compute=compute.batch_norm)
    return OpRow(MODULE, op, (cls,), quantize, "batch_norm", "norm", lowering)


def _conv(op: str, cls: type, function, channels: str | None, lowering: str | None) -> OpRow:
    quantize = Quantize(parameters=WEIGHT_AND_BIAS, compute=compute.conv)
    return OpRow(RELATED, op, (cls, function), quantize, "conv", channels, lowering)


def _pool(op: str, cost: str, *keys, lowering: str | None = None) -> OpRow:
    return OpRow(RELATED, op, keys, cost=cost, channels="spatial", lowering=lowering)


#: The built-in ops (a user's own are added with `add_row` or `register_op`).
BUILT_IN: tuple[OpRow, ...] = (
    _batch_norm("batch_norm1d", nn.BatchNorm1d, "batch_norm"),
    _batch_norm("batch_norm2d", nn.BatchNorm2d, "batch_norm"),
    _batch_norm("batch_norm3d", nn.BatchNorm3d, None),
    OpRow(MODULE, "batch_norm", (F.batch_norm,), cost="batch_norm"),
    OpRow(MODULE, "layer_norm", (nn.LayerNorm, F.layer_norm),
          Quantize(parameters=WEIGHT_AND_BIAS, compute=compute.layer_norm), cost="norm"),
    OpRow(MODULE, "group_norm", (nn.GroupNorm, F.group_norm),
          Quantize(parameters=WEIGHT_AND_BIAS, compute=compute.group_norm), cost="norm"),
    OpRow(MODULE, "rms_norm", (nn.RMSNorm, F.rms_norm),
          Quantize(parameters=("weight",), compute=compute.rms_norm), cost="rms_norm"),
    OpRow(MODULE, "instance_norm2d", (nn.InstanceNorm2d,), cost="norm"),
    OpRow(MODULE, "dropout", (nn.Dropout, nn.Dropout1d, nn.Dropout2d, F.dropout), cost="dropout",
          channels="elementwise", lowering="identity"),
    OpRow(RELATED, "linear", (nn.Linear, F.linear),
          Quantize(parameters=WEIGHT_AND_BIAS, compute=compute.linear), "linear", "layer", "linear"),
    _conv("conv1d", nn.Conv1d, F.conv1d, "layer", None),
    _conv("conv2d", nn.Conv2d, F.conv2d, "layer", "conv2d"),
    _conv("conv3d", nn.Conv3d, F.conv3d, None, None),
    OpRow(RELATED, "embedding", (nn.Embedding, F.embedding), cost="embedding"),
    OpRow(RELATED, "relu", (nn.ReLU, F.relu, torch.relu, "relu"), PLAIN, "elementwise",
          "elementwise", "relu"),
    _activation("relu6", nn.ReLU6, F.relu6),
    _activation("leaky_relu", nn.LeakyReLU, F.leaky_relu),
    # PReLU's slope may be one per channel: its channels cannot be pruned without it.
    _activation("prelu", nn.PReLU, F.prelu, channels=None,
                quantize=Quantize(parameters=("weight",), compute=compute.prelu)),
    _activation("elu", nn.ELU, F.elu),
    _activation("selu", nn.SELU, F.selu, torch.selu),
    _activation("celu", nn.CELU, F.celu),
    _activation("gelu", nn.GELU, F.gelu),
    _activation("silu", nn.SiLU, F.silu),
    _activation("mish", nn.Mish, F.mish),
    _activation("sigmoid", nn.Sigmoid, F.sigmoid, torch.sigmoid, "sigmoid"),
    _activation("tanh", nn.Tanh, F.tanh, torch.tanh, "tanh"),
    _activation("hardtanh", nn.Hardtanh, F.hardtanh),
    _activation("hardswish", nn.Hardswish, F.hardswish),
    _activation("hardsigmoid", nn.Hardsigmoid, F.hardsigmoid),
    _activation("softplus", nn.Softplus, F.softplus),
    _activation("softsign", nn.Softsign, F.softsign),
    OpRow(RELATED, "softmax", (nn.Softmax, F.softmax, torch.softmax, "softmax"), PLAIN, "softmax"),
    OpRow(RELATED, "log_softmax", (nn.LogSoftmax, F.log_softmax, torch.log_softmax, "log_softmax"),
          PLAIN, "softmax"),
    _pool("max_pool1d", "max_pool", nn.MaxPool1d, F.max_pool1d, lowering="max_pool"),
    _pool("max_pool2d", "max_pool", nn.MaxPool2d, F.max_pool2d, lowering="max_pool"),
    _pool("avg_pool1d", "avg_pool", nn.AvgPool1d, F.avg_pool1d),
    _pool("avg_pool2d", "avg_pool", nn.AvgPool2d, F.avg_pool2d),
    _pool("adaptive_avg_pool1d", "adaptive_avg_pool", nn.AdaptiveAvgPool1d, F.adaptive_avg_pool1d),
    _pool("adaptive_avg_pool2d", "adaptive_avg_pool", nn.AdaptiveAvgPool2d, F.adaptive_avg_pool2d),
    OpRow(RELATED, "cross_entropy", (nn.CrossEntropyLoss, F.cross_entropy)),
    OpRow(RELATED, "mse_loss", (nn.MSELoss, F.mse_loss)),
    OpRow(BUILTIN, "scaled_dot_product_attention", (F.scaled_dot_product_attention,), cost="attention"),
    _arithmetic("add", Add, operator.add, operator.iadd, torch.add, "add", "add_",
                quantize=_function(torch.add, operator.add, "add")),
    _arithmetic("sub", Sub, operator.sub, operator.isub, torch.sub, torch.rsub, "sub", "rsub",
                quantize=_function(torch.sub, operator.sub, "sub")),
    _arithmetic("mul", Mul, operator.mul, operator.imul, torch.mul, "mul", "mul_",
                quantize=_function(torch.mul, operator.mul, "mul")),
    _arithmetic("div", Div, operator.truediv, operator.itruediv, torch.div, "div",
                quantize=_function(torch.div, operator.truediv, "div", "truediv")),
    _arithmetic("floordiv", operator.floordiv),
    _arithmetic("neg", operator.neg, torch.neg, "neg"),
    _arithmetic("pow", operator.pow, torch.pow, "pow"),
    OpRow(BUILTIN, "matmul", (Matmul, operator.matmul, torch.matmul, "matmul"),
          _function(torch.matmul, operator.matmul, "matmul"), "matmul"),
    OpRow(BUILTIN, "bmm", (Bmm, torch.bmm, "bmm"), _function(torch.bmm, "bmm"), "matmul"),
    OpRow(BUILTIN, "mm", (torch.mm, "mm"), cost="matmul"),
    _arithmetic("sqrt", torch.sqrt, "sqrt"),
    _arithmetic("rsqrt", torch.rsqrt, "rsqrt"),
    _arithmetic("exp", torch.exp, "exp"),
    _arithmetic("log", torch.log, "log"),
    _arithmetic("abs", operator.abs, torch.abs, "abs"),
    _arithmetic("erf", torch.erf, "erf"),
    _arithmetic("clamp", torch.clamp, "clamp"),
    *(OpRow(BUILTIN, op, (getattr(torch, op), op), cost="reduction")
      for op in ("mean", "sum", "max", "min", "argmax")),
    OpRow(BUILTIN, "cat", (torch.cat,)),
    OpRow(BUILTIN, "stack", (torch.stack,)),
    _arithmetic("where", torch.where),
    _arithmetic("masked_fill", torch.masked_fill, "masked_fill"),
    _arithmetic("eq", operator.eq, torch.eq, "eq"),
    _arithmetic("ne", operator.ne, torch.ne, "ne"),
    _arithmetic("lt", operator.lt, torch.lt, "lt"),
    _arithmetic("gt", operator.gt, torch.gt, "gt"),
    _arithmetic("le", operator.le, "le"),
    _arithmetic("ge", operator.ge, "ge"),
    _implicit("getitem", operator.getitem),
    _implicit("getattr", builtins.getattr),
    OpRow(IMPLICIT, "identity", (nn.Identity,), channels="elementwise", lowering="identity"),
    OpRow(IMPLICIT, "flatten", (nn.Flatten, torch.flatten, "flatten"), lowering="flatten"),
    _implicit("unflatten", nn.Unflatten, torch.unflatten, "unflatten"),
    _implicit("view", "view", "view_as"),
    _implicit("reshape", torch.reshape, "reshape"),
    _implicit("size", "size", "dim", "numel"),
    _implicit("permute", torch.permute, "permute"),
    _implicit("transpose", torch.transpose, "transpose", "t"),
    _implicit("contiguous", "contiguous"),
    _implicit("expand", "expand", "expand_as", "repeat"),
    _implicit("squeeze", torch.squeeze, "squeeze"),
    _implicit("unsqueeze", torch.unsqueeze, "unsqueeze"),
    _implicit("split", torch.split, torch.chunk, "split", "chunk"),
    _implicit("type_cast", "to", "type", "type_as", "float", "half", "int", "long", "bool"),
    _implicit("clone", torch.clone, "clone", "detach"),
    _implicit("constant", torch.ones, torch.zeros, torch.full, torch.arange, torch.tensor,
              torch.finfo, torch.ones_like, torch.zeros_like),
)

#: mase_op -> its row.
ROWS: Registry[OpRow] = Registry("op")
#: Every key (module class, function, method name) -> (mase_type, mase_op) of its row.
OPS: dict[object, tuple[str, str]] = {}


def add_row(row: OpRow, *, replace: bool = False) -> OpRow:
    """Add an op's row (a user's own op); each of its keys then classifies as this op."""
    if row.mase_type not in MASE_TYPES:
        raise ConfigError(f"Unknown mase_type '{row.mase_type}'; choose one of {', '.join(MASE_TYPES)}.")
    if row.channels is not None and row.channels not in CHANNEL_KINDS:
        raise ConfigError(f"Unknown channels kind '{row.channels}'; choose one of {', '.join(CHANNEL_KINDS)}.")
    for key in row.keys:
        if key in OPS and not replace and OPS[key] != (row.mase_type, row.mase_op):
            raise ConfigError(f"{key!r} is already the op {OPS[key]}; pass replace=True to change it.")
    ROWS.register(row.mase_op, row, replace=replace)
    OPS.update(dict.fromkeys(row.keys, (row.mase_type, row.mase_op)))
    return row


def register_op(key: type | object | str, mase_type: str, mase_op: str, *, replace: bool = False) -> None:
    """Add a key (a module class, function or tensor-method name) as one more way of writing
    `mase_op`; a new op gets a row of its own."""
    if mase_type not in MASE_TYPES:
        raise ConfigError(f"Unknown mase_type '{mase_type}'; choose one of {', '.join(MASE_TYPES)}.")
    if key in OPS and OPS[key] != (mase_type, mase_op):
        if not replace:
            raise ConfigError(f"{key!r} is already the op {OPS[key]}; pass replace=True to change it.")
        old = ROWS.get(OPS[key][1])
        ROWS.register(old.mase_op, _changed(old, keys=tuple(k for k in old.keys if k is not key)), replace=True)
    row = op_row(mase_op) or OpRow(mase_type, mase_op)
    if row.mase_type != mase_type:
        raise ConfigError(f"The op '{mase_op}' has mase_type '{row.mase_type}', not '{mase_type}'.")
    add_row(_changed(row, keys=row.keys if key in row.keys else (*row.keys, key)), replace=True)


def op_row(mase_op: str) -> OpRow | None:
    """The row of `mase_op`, or None for an op the table does not know."""
    return ROWS.get(mase_op) if mase_op in ROWS else None


def rows() -> list[OpRow]:
    return [row for _, row in ROWS.items()]


for _row in BUILT_IN:
    add_row(_row)

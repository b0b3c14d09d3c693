"""The table of quantizable float modules: which operands each has and how it computes.

One row per float module class (`QuantizableOp`). The generic quantized module (`factory.py`)
reads the row to know its inputs (`data_in_0`, ...), its quantized parameters (`weight`,
`bias`) and how to compute with quantized parameters. A row without `compute` is a
parameter-free op (activations, the functional ops): the float class's own `forward` runs on the
quantized inputs, so every setting of the float module (inplace, negative_slope, dim, ...) keeps
its meaning. A row with `compute` gets `compute(module, *inputs, *parameters)`, the parameters
already quantized, in the order of `parameters`.

Normalisation layers: their "weight" and "bias" operands are the affine scale (gamma) and
shift (beta). BatchNorm's running statistics are buffers, not operands: they are kept in float
and updated in training exactly as in the float module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from chop.errors import ConfigError
from chop.registry import Registry


@dataclass(frozen=True)
class QuantizableOp:
    """How to quantize one float module class."""

    float_class: type[nn.Module]
    #: Input operand names, in call order (metadata names: data_in_0, data_in_1, ...).
    inputs: tuple[str, ...] = ("data_in_0",)
    #: Parameter attributes that are quantized operands of the same name.
    parameters: tuple[str, ...] = ()
    #: compute(module, *inputs, *parameters); None: the float class's forward on the inputs.
    compute: Callable[..., torch.Tensor] | None = None
    #: Show the operand specs in repr (for ops whose float repr says nothing, e.g. add).
    show_specs: bool = False

    @property
    def path(self) -> str:
        """The float class's import path, as saved in a quantized module's state."""
        return f"{self.float_class.__module__}.{self.float_class.__qualname__}"


#: Float class name -> its row, e.g. "Linear" -> QuantizableOp(nn.Linear, ...).
QUANTIZABLE: Registry[QuantizableOp] = Registry("quantizable module")


def register_quantizable(float_class: type[nn.Module], *, inputs: tuple[str, ...] = ("data_in_0",),
                         parameters: tuple[str, ...] = (),
                         compute: Callable[..., torch.Tensor] | None = None,
                         show_specs: bool = False) -> QuantizableOp:
    """Add a float module class to the table (its quantized classes are then built on demand)."""
    op = QuantizableOp(float_class, tuple(inputs), tuple(parameters), compute, show_specs)
    QUANTIZABLE.register(float_class.__name__, op)
    return op


def op_for_class(float_class: type) -> QuantizableOp:
    """The row of `float_class` (exactly that class: a subclass may compute differently)."""
    name = getattr(float_class, "__name__", repr(float_class))
    if name in QUANTIZABLE and QUANTIZABLE.get(name).float_class is float_class:
        return QUANTIZABLE.get(name)
    raise ConfigError(
        f"{name} cannot be quantized: no quantized version of it exists. Quantizable modules: "
        f"{', '.join(QUANTIZABLE.names())}. Leave it unquantized (name 'NA') or register it "
        "with chop.nn.quantized.register_quantizable."
    )


def op_for_path(path: str) -> QuantizableOp:
    """The row whose float class has import path `path` (used when rebuilding saved state)."""
    for _, op in QUANTIZABLE.items():
        if op.path == path:
            return op
    raise ConfigError(f"Saved quantized module refers to '{path}', which is not quantizable here.")


# ---------------------------------------------------------------------------------------------
# Computations with quantized parameters.


def _linear(m: nn.Linear, x, weight, bias):
    return F.linear(x, weight, bias)


def _conv(m: nn.Conv1d, x, weight, bias):
    return m._conv_forward(x, weight, bias)  # handles padding_mode like the float forward


def _batch_norm(m: nn.BatchNorm1d, x, weight, bias):
    """The float BatchNorm forward with given affine parameters (same running-stat updates)."""
    m._check_input_dim(x)
    momentum = 0.0 if m.momentum is None else m.momentum
    if m.training and m.track_running_stats and m.num_batches_tracked is not None:
        m.num_batches_tracked.add_(1)
        if m.momentum is None:  # cumulative moving average
            momentum = 1.0 / float(m.num_batches_tracked)
    use_batch_stats = m.training or (m.running_mean is None and m.running_var is None)
    keep_stats = not m.training or m.track_running_stats
    return F.batch_norm(x, m.running_mean if keep_stats else None,
                        m.running_var if keep_stats else None, weight, bias,
                        use_batch_stats, momentum, m.eps)


def _layer_norm(m: nn.LayerNorm, x, weight, bias):
    return F.layer_norm(x, m.normalized_shape, weight, bias, m.eps)


def _group_norm(m: nn.GroupNorm, x, weight, bias):
    return F.group_norm(x, m.num_groups, weight, bias, m.eps)


def _rms_norm(m: nn.RMSNorm, x, weight):
    return F.rms_norm(x, m.normalized_shape, weight, m.eps)


def _prelu(m: nn.PReLU, x, weight):
    return F.prelu(x, weight)


_WEIGHT_AND_BIAS = ("weight", "bias")

register_quantizable(nn.Linear, parameters=_WEIGHT_AND_BIAS, compute=_linear)
for _conv_class in (nn.Conv1d, nn.Conv2d, nn.Conv3d):
    register_quantizable(_conv_class, parameters=_WEIGHT_AND_BIAS, compute=_conv)
for _norm_class in (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d):
    register_quantizable(_norm_class, parameters=_WEIGHT_AND_BIAS, compute=_batch_norm)
register_quantizable(nn.LayerNorm, parameters=_WEIGHT_AND_BIAS, compute=_layer_norm)
register_quantizable(nn.GroupNorm, parameters=_WEIGHT_AND_BIAS, compute=_group_norm)
register_quantizable(nn.RMSNorm, parameters=("weight",), compute=_rms_norm)

#: Parameter-free activations: quantize the input (and optionally the output), run the float op.
ACTIVATIONS = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.GELU, nn.SiLU, nn.Sigmoid, nn.Tanh,
    nn.Hardtanh, nn.Hardswish, nn.Hardsigmoid, nn.ELU, nn.SELU, nn.CELU, nn.Mish, nn.Softplus,
    nn.Softsign, nn.Softmax, nn.LogSoftmax,
)  # fmt: skip
for _activation in ACTIVATIONS:
    if _activation is nn.PReLU:  # its slope is a learned weight
        register_quantizable(_activation, parameters=("weight",), compute=_prelu)
    else:
        register_quantizable(_activation)

"""The quantizable float modules: which operands each has and how it computes.

One entry per float module class (`QuantizableOp`), made from the op table's `quantize` field
(`chop.nn.optable`): the generic quantized module (`factory.py`) reads it to know its inputs
(`data_in_0`, ...), its quantized parameters (`weight`, `bias`) and how to compute with quantized
parameters. An entry without `compute` is a parameter-free op (activations, the functional ops):
the float class's own `forward` runs on the quantized inputs, so every setting of the float
module (inplace, negative_slope, dim, ...) keeps its meaning. An entry with `compute` gets
`compute(module, *inputs, *parameters)`, the parameters already quantized, in the order of
`parameters`.

Normalisation layers: their "weight" and "bias" operands are the affine scale (gamma) and
shift (beta). BatchNorm's running statistics are buffers, not operands: they are kept in float
and updated in training exactly as in the float module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from chop.errors import ConfigError
from chop.nn.optable import rows
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


#: Modules whose float classes moved, as saved states name them -> where they are now.
MOVED = {"chop.nn.quantized.functional": "chop.nn.functions"}


def op_for_path(path: str) -> QuantizableOp:
    """The row whose float class has import path `path` (used when rebuilding saved state)."""
    module, _, name = path.rpartition(".")
    path = f"{MOVED.get(module, module)}.{name}"
    for _, op in QUANTIZABLE.items():
        if op.path == path:
            return op
    raise ConfigError(f"Saved quantized module refers to '{path}', which is not quantizable here.")


for _row in rows():
    for _float_class in _row.module_classes() if _row.quantize is not None else ():
        register_quantizable(_float_class, inputs=_row.quantize.inputs, parameters=_row.quantize.parameters,
                             compute=_row.quantize.compute, show_specs=_row.quantize.show_specs)

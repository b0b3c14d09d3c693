"""Graph -> integer program: `export_integer(mg) -> IntegerProgram`.

The graph must be a chain of single-input ops from its one input to its one output, each of:
- quantized (fixed-point `integer` format): Linear, Conv2d, ReLU, and BatchNorm1d/2d once
  normalised by `fold_batchnorm` (see `fold.py`);
- float, exact on integers: ReLU (module, `F.relu`, `torch.relu`, `.relu()`), Flatten
  (module, `torch.flatten`, `.flatten()`), MaxPool1d/2d; Dropout and Identity (dropped).

The program is bit-exact against the fake-quantized graph **in eval mode** (BatchNorm uses its
running statistics, Dropout is the identity) under the float32 exactness condition described in
`program.py`, which the exporter checks. See `lower_ops.py` for the per-op arithmetic and
`runner.py` for how the program runs. Anything else is a `ConfigError` naming the node.
"""

from __future__ import annotations

from torch import fx, nn

from chop.errors import ConfigError
from chop.export.lower_ops import (
    FLOAT_LOWERINGS,
    FUNCTION_LOWERINGS,
    NEEDS_QUANTIZATION,
    QUANTIZED_LOWERINGS,
)
from chop.export.program import ON_INEXACT, ProgramBuilder
from chop.export.runner import IntegerProgram
from chop.ir.graph import MaseGraph
from chop.nn.quantized import QuantizedModule

SUPPORTED = ("quantized Linear, Conv2d, ReLU and (folded) BatchNorm; ReLU, Flatten, MaxPool, "
             "Dropout, Identity")


def _describe(node: fx.Node, module: nn.Module | None) -> str:
    if module is not None:
        return type(module).__name__
    meta = node.meta.get("mase")
    op = meta["common"].get("mase_op") if meta is not None else None
    return op or getattr(node.target, "__name__", str(node.target))


def _lowering(node: fx.Node, modules: dict[str, nn.Module]):
    """(lowering function, module or None) for `node`; a ConfigError if it has none."""
    module = modules.get(node.target) if node.op == "call_module" else None
    if isinstance(module, QuantizedModule):
        if module.float_class in QUANTIZED_LOWERINGS:
            return QUANTIZED_LOWERINGS[module.float_class], module
    elif module is not None:
        if type(module) in FLOAT_LOWERINGS:
            return FLOAT_LOWERINGS[type(module)], module
        if type(module) in NEEDS_QUANTIZATION:
            raise ConfigError(
                f"export_integer: node '{node.name}' ({type(module).__name__}) is not quantized; "
                "integer export needs integer weights. Quantize it with an 'integer' config "
                "(BatchNorm: fold_batchnorm first, then quantize)."
            )
    elif node.op in ("call_function", "call_method"):
        try:
            if node.target in FUNCTION_LOWERINGS:
                return FUNCTION_LOWERINGS[node.target], None
        except TypeError:  # an unhashable target is simply unsupported
            pass
    raise ConfigError(f"export_integer: node '{node.name}' ({_describe(node, module)}) has no "
                      f"integer form. Supported: {SUPPORTED}.")


def _check_chain(node: fx.Node, previous: fx.Node) -> None:
    inputs = node.all_input_nodes
    if inputs != [previous] or not node.args or node.args[0] is not previous:
        names = [n.name for n in inputs]
        raise ConfigError(f"export_integer: node '{node.name}' reads {names}; integer export "
                          f"supports a chain of single-input ops (expected ['{previous.name}']).")


def export_integer(mg: MaseGraph, on_inexact: str = "error") -> IntegerProgram:
    """The integer program of a fixed-point quantized graph (see the module docstring).

    `on_inexact`: "error" refuses a graph whose float32 fake-quantized model may round where
    the integer program does not; "warn" logs a warning and exports anyway.
    """
    if on_inexact not in ON_INEXACT:
        raise ConfigError(f"export_integer: on_inexact must be one of {ON_INEXACT}, "
                          f"got {on_inexact!r}.")
    modules = dict(mg.model.named_modules())
    builder = ProgramBuilder(on_inexact=on_inexact)
    previous: fx.Node | None = None
    for node in mg.fx_graph.nodes:
        if node.op == "placeholder":
            if previous is not None:
                raise ConfigError(f"export_integer: the graph has several inputs ('{node.name}' "
                                  f"after '{previous.name}'); integer export takes one.")
            previous = node
        elif node.op == "output":
            if node.args[0] is not previous:
                raise ConfigError("export_integer: the graph must return the tensor of its "
                                  f"last op ('{previous.name}') as its only output.")
        else:
            if previous is None:
                raise ConfigError(f"export_integer: node '{node.name}' comes before the input.")
            _check_chain(node, previous)
            lowering, module = _lowering(node, modules)
            lowering(builder, node, module)
            previous = node
    if previous is None:
        raise ConfigError("export_integer: the graph has no input.")
    return IntegerProgram(builder.document(), builder.tensors)

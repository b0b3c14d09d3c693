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
from chop.export.lower_ops import LOWERINGS
from chop.export.program import ON_INEXACT, ProgramBuilder
from chop.export.runner import IntegerProgram
from chop.ir.graph import MaseGraph
from chop.ir.taxonomy import lookup, op_row
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
    """(lowering function, module or None) for `node`; a ConfigError if it has none.

    A module's class (a quantized module's float class) must be one the op's row lists itself,
    not a subclass, which may compute differently."""
    module = modules.get(node.target) if node.op == "call_module" else None
    quantized = isinstance(module, QuantizedModule)
    cls = module.float_class if quantized else type(module)
    found = lookup(node.op, node.target, module) if node.op in ("call_module", "call_function", "call_method") else None
    row = op_row(found[1]) if found is not None else None
    how = LOWERINGS.get(row.lowering) if row is not None and row.lowering is not None else None
    if how is not None and (module is None or cls in row.keys):
        handler = how.quantized if quantized else how.module if module is not None else how.function
        if handler is not None:
            return handler, module
        if module is not None and not quantized and how.quantized is not None:
            raise ConfigError(
                f"export_integer: node '{node.name}' ({type(module).__name__}) is not quantized; "
                "integer export needs integer weights. Quantize it with an 'integer' config "
                "(BatchNorm: fold_batchnorm first, then quantize)."
            )
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

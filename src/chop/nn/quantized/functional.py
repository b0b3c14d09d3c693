"""Quantized functions (add, sub, mul, div, matmul, bmm) through the same mechanism as modules.

Each function gets a tiny float module (`Add`, `Matmul`, ... in `chop.nn.functions`) whose
forward calls the torch function; the op table's row of that function names it, with two inputs
(data_in_0, data_in_1) and the targets it replaces, so
`from_float(Add(), config)` is an `AddInteger` whose repr shows its specs:

    AddInteger(data_in_0=integer(8, 4), data_in_1=integer(8, 4))

The quantize pass replaces a call_function node (torch.add, operator.add, torch.matmul, ...) or a
call_method node ("add", "matmul", ...) by a call_module to `quantized_function(target, config)`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from torch import nn

from chop.errors import ConfigError
from chop.nn.functions import FUNCTION_MODULES, Add, Bmm, Div, FunctionModule, Matmul, Mul, Sub  # noqa: F401
from chop.nn.optable import rows
from chop.nn.quantized.factory import from_float


#: call_function targets and call_method names -> float function module (from the op table).
FUNCTION_TARGETS: dict[Any, type[FunctionModule]] = {
    target: row.module_classes()[0]
    for row in rows() if row.quantize is not None
    for target in row.quantize.functions
}


def function_module_class(target: Any) -> type[FunctionModule] | None:
    """The float function module of a node target (function or method name), else None."""
    try:
        return FUNCTION_TARGETS.get(target)
    except TypeError:  # unhashable target
        return None


def quantized_function(target: Any, config: Mapping[str, Any]) -> nn.Module:
    """A quantized module computing `target` (e.g. torch.add or "matmul") with `config`."""
    module_class = function_module_class(target)
    if module_class is None:
        name = getattr(target, "__name__", str(target))
        raise ConfigError(
            f"The function '{name}' cannot be quantized; quantizable functions: "
            f"{', '.join(sorted({c.__name__.lower() for c in FUNCTION_MODULES}))}."
        )
    return from_float(module_class(), config)

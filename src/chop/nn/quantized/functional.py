"""Quantized functions (add, sub, mul, div, matmul, bmm) through the same mechanism as modules.

Each function gets a tiny float module (`Add`, `Matmul`, ...) whose forward calls the torch
function; it is a row of the op table with two inputs (data_in_0, data_in_1), so
`from_float(Add(), config)` is an `AddInteger` whose repr shows its specs:

    AddInteger(data_in_0=integer(8, 4), data_in_1=integer(8, 4))

The quantize pass replaces a call_function node (torch.add, operator.add, torch.matmul, ...) or a
call_method node ("add", "matmul", ...) by a call_module to `quantized_function(target, config)`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import torch
from torch import nn

from chop.errors import ConfigError
from chop.nn.quantized.factory import from_float
from chop.nn.quantized.ops import register_quantizable


class FunctionModule(nn.Module):
    """A two-input torch function as a parameter-free module (the float side of e.g. AddInteger)."""

    function: ClassVar[Callable[..., torch.Tensor]]

    def forward(self, x: Any, y: Any, **kwargs: Any) -> Any:
        return type(self).function(x, y, **kwargs)


class Add(FunctionModule):
    function = staticmethod(torch.add)


class Sub(FunctionModule):
    function = staticmethod(torch.sub)


class Mul(FunctionModule):
    function = staticmethod(torch.mul)


class Div(FunctionModule):
    function = staticmethod(torch.div)


class Matmul(FunctionModule):
    function = staticmethod(torch.matmul)


class Bmm(FunctionModule):
    function = staticmethod(torch.bmm)


FUNCTION_MODULES = (Add, Sub, Mul, Div, Matmul, Bmm)
for _function_module in FUNCTION_MODULES:
    register_quantizable(_function_module, inputs=("data_in_0", "data_in_1"), show_specs=True)

#: call_function targets and call_method names -> float function module.
FUNCTION_TARGETS: dict[Any, type[FunctionModule]] = {
    torch.add: Add, operator.add: Add, "add": Add,
    torch.sub: Sub, operator.sub: Sub, "sub": Sub,
    torch.mul: Mul, operator.mul: Mul, "mul": Mul,
    torch.div: Div, operator.truediv: Div, "div": Div, "truediv": Div,
    torch.matmul: Matmul, operator.matmul: Matmul, "matmul": Matmul,
    torch.bmm: Bmm, "bmm": Bmm,
}  # fmt: skip


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

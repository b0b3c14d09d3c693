"""Two-input torch functions as parameter-free float modules (`Add`, `Matmul`, ...).

The quantize pass replaces a call of torch.add, operator.add, `.matmul()`, ... by a module, so
that the function's operands can carry number formats like a layer's: `Add` is that module's
float side (`AddInteger` its quantized one). They are ops of the op table (`chop.nn.optable`),
the rows of the function they call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import torch
from torch import nn


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

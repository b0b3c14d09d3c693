"""Describing the values that flow between nodes: shape, dtype and number format.

`describe(value)` is the operand record of the common metadata. `type` and `precision` describe
the real number format: float32 is `("float", [32])`, int64 `("integer", [64])`; a later quantize
pass overwrites them with its own format (e.g. `("fixed", [8, 4])`). Python values that are not
tensors (sizes, ints, None) are recorded with their value, which is small and structural.
"""

from __future__ import annotations

from typing import Any

import torch


def number_format(dtype: torch.dtype) -> tuple[str, list[int]]:
    """(type, precision) of a torch dtype."""
    bits = torch.empty((), dtype=dtype).element_size() * 8
    if dtype == torch.bfloat16:
        return "bfloat", [bits]
    if dtype.is_floating_point:
        return "float", [bits]
    if dtype == torch.bool:
        return "bool", [1]
    if dtype.is_complex:
        return "complex", [bits]
    if dtype in (torch.uint8,) or str(dtype).startswith("torch.uint"):
        return "unsigned_integer", [bits]
    return "integer", [bits]


def _plain(value: Any) -> Any:
    """A JSON-friendly copy of a small Python value, or its type name when it has none."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (torch.Size, tuple, list)):
        return [_plain(v) for v in value]
    if isinstance(value, torch.dtype):
        return str(value)
    if isinstance(value, slice):
        return {"slice": [_plain(value.start), _plain(value.stop), _plain(value.step)]}
    if isinstance(value, torch.device):
        return str(value)
    return f"<{type(value).__name__}>"


def describe(value: Any, keep_value: bool = False) -> dict:
    """The operand record of `value`; tensor values are kept only when `keep_value`."""
    if isinstance(value, torch.Tensor):
        fmt, precision = number_format(value.dtype)
        record = {
            "shape": list(value.shape),
            "torch_dtype": value.dtype,
            "type": fmt,
            "precision": precision,
        }
        if keep_value:
            record["value"] = value.detach().cpu().clone()
        return record
    if isinstance(value, torch.Size):
        return {"type": "size", "precision": None, "shape": None, "torch_dtype": None,
                "value": list(value)}
    return {"type": type(value).__name__, "precision": None, "shape": None, "torch_dtype": None,
            "value": _plain(value)}


def leaves(value: Any) -> list[Any]:
    """The leaves of a nested tuple/list/dict (a torch.Size is one leaf), in order."""
    if isinstance(value, torch.Size):
        return [value]
    if isinstance(value, (tuple, list)):
        return [leaf for v in value for leaf in leaves(v)]
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)]
    return [value]

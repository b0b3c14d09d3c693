"""The number-format registry: format name -> spec dataclass.

Built-in names: "integer" (alias "fixed"), "minifloat_ieee", "minifloat_denorm", "log",
"block_fp", "block_minifloat", "block_log", "binary", "ternary", "mxint", "mxfp". A user format registers with
`@register_format("name")` on a frozen `NumberFormat` dataclass.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chop.registry import Registry

if TYPE_CHECKING:
    from chop.nn.quantizers.base import NumberFormat

FORMATS: Registry[type[NumberFormat]] = Registry("number format")


def register_format(name: str, *aliases: str):
    """Class decorator registering a spec class under `name` and any `aliases`."""

    def wrap(cls: type[NumberFormat]) -> type[NumberFormat]:
        for key in (name, *aliases):
            FORMATS.register(key, cls)
        return cls

    return wrap


def get_format(name: str) -> type[NumberFormat]:
    """The spec class registered as `name` (UnknownNameError with a suggestion otherwise)."""
    return FORMATS.get(name)


def format_names() -> list[str]:
    return FORMATS.names()

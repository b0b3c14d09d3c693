"""The one pass registry: every pass under the short name that TOML `[passes.<name>]` uses.

A pass is `fn(graph, pass_args=None) -> (graph, result_dict)`. Its entry records its argument
defaults (so that unknown keys are caught before it runs) and its kind: an `analysis` pass
annotates the graph it is given and returns that same graph; a `transform` pass returns a new
graph (made with `MaseGraph.derive`) and leaves its input untouched.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from chop.errors import ConfigError
from chop.registry import Registry

PassFn = Callable[..., tuple[Any, dict]]
KINDS = ("analysis", "transform")


@dataclass(frozen=True)
class PassEntry:
    """A registered pass: its function, argument defaults and kind."""

    name: str
    fn: PassFn
    defaults: Mapping[str, Any] = field(default_factory=dict)
    kind: str = "analysis"
    # For passes whose keys are open (e.g. quantize's op or node names): checks the whole dict
    # (after "NA" -> None) instead of the defaults' fixed keys.
    check: Callable[[dict], None] | None = None


PASSES: Registry[PassEntry] = Registry("pass")


def register_pass(name: str, defaults: Mapping[str, Any] | None = None, kind: str = "analysis",
                  check: Callable[[dict], None] | None = None):
    """Decorator registering a pass function under `name` with its argument `defaults`."""
    if kind not in KINDS:
        raise ConfigError(f"A pass kind is one of {KINDS}, got {kind!r}.")

    def wrap(fn: PassFn) -> PassFn:
        PASSES.register(name, PassEntry(name, fn, MappingProxyType(dict(defaults or {})), kind, check))
        return fn

    return wrap

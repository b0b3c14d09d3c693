"""Extension points that a lower layer calls and a higher layer provides.

`MaseGraph.load` (in `chop.ir`) must replay a saved recipe's transform passes, which live above
it in `chop.passes`. The package root (`chop/__init__.py`, the top of the house) plugs the pass
layer's replay in here, so that `chop.ir` never imports `chop.passes` and `import chop` stays
cheap (the pass layer loads when a graph with transforms is loaded).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chop.errors import ChopError


class Hook:
    """One function slot, filled once by the layer that provides it."""

    def __init__(self, name: str):
        self.name = name
        self._fn: Callable[..., Any] | None = None

    def provide(self, fn: Callable[..., Any]) -> None:
        self._fn = fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._fn is None:
            raise ChopError(f"No {self.name} is installed (import chop first).")
        return self._fn(*args, **kwargs)


#: `replay_recipe(mg, passes, where) -> MaseGraph`: re-apply a recipe's transform passes.
replay_recipe = Hook("recipe replay")

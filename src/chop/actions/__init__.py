"""Actions behind `ch`: each a function(RunConfig) -> result dict, shared by CLI and Python.

`ACTIONS` maps each name to its function, importing an action's module only when it is looked
up, so that `ch --help` and argument errors need neither torch nor Lightning.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator, Mapping

_MODULES = {"train": "chop.actions.train", "test": "chop.actions.test", "transform": "chop.actions.transform",
            "search": "chop.actions.search", "info": "chop.actions.info",
            "emit": "chop.actions.hardware", "simulate": "chop.actions.hardware",
            "synth": "chop.actions.hardware"}


class _LazyActions(Mapping):
    def __getitem__(self, name: str) -> Callable:
        function = getattr(importlib.import_module(_MODULES[name]), name)
        # importing the submodule bound `chop.actions.<name>` to it; the name means the function
        setattr(sys.modules[__name__], name, function)
        return function

    def __iter__(self) -> Iterator[str]:
        return iter(_MODULES)

    def __len__(self) -> int:
        return len(_MODULES)


ACTIONS: Mapping[str, Callable] = _LazyActions()


def __getattr__(name: str):
    """`from chop.actions import train` (the function), imported on first use."""
    if name in _MODULES:
        return ACTIONS[name]
    raise AttributeError(f"module 'chop.actions' has no attribute {name!r}")


__all__ = ["ACTIONS", "emit", "info", "search", "simulate", "synth", "test", "train",
           "transform"]

"""What a model is: its name, where it comes from, its task, and whether torch.fx can trace it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelInfo:
    """Facts about a registered model.

    `default_dataset` names the dataset whose shape `get_model(name)` builds for when no dataset
    info is given.
    """

    name: str
    source: str = "builtin"
    task: str = "cls"
    fx_traceable: bool = True
    default_dataset: str = "jsc"
    description: str = ""

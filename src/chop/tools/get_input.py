"""Model inputs from a data module, as MASE's notebooks draw them.

`InputGenerator` yields `{"x": batch}` dicts from one of a `MaseDataModule`'s loaders (what
`add_common_metadata_analysis_pass`'s `dummy_in` and the statistics pass's `input_generator`
take); `get_dummy_input` is one such batch.
"""

from __future__ import annotations

from collections.abc import Iterator

import torch

from chop.dataset.info import as_graph_inputs
from chop.errors import ConfigError, did_you_mean

LOADERS = ("train", "val", "test")
TASKS = ("cls", "classification")


def _check(task: str, which_dataloader: str) -> None:
    if task not in TASKS:
        raise ConfigError(f"task '{task}' is not supported; the models here classify.{did_you_mean(task, TASKS)}")
    if which_dataloader not in LOADERS:
        raise ConfigError(f"which_dataloader '{which_dataloader}' is not valid.{did_you_mean(which_dataloader, LOADERS)}")


class InputGenerator:
    """Iterator of `{"x": inputs}` batches (the named token inputs for text) from `data_module`'s `which_dataloader` split.

    It cycles through the split (starting over when it ends) unless `max_batches` caps it.
    `model_info` is accepted for MASE's signature; the dataset says what the inputs are.
    """

    def __init__(self, model_info, data_module, task: str = "cls", which_dataloader: str = "train",
                 max_batches: int | None = None):
        _check(task, which_dataloader)
        self.model_info = model_info
        self.data_module = data_module
        self.which_dataloader = which_dataloader
        self.max_batches = max_batches
        self._batches: Iterator | None = None
        self._given = 0

    def _loader(self):
        return getattr(self.data_module, f"{self.which_dataloader}_dataloader")()

    def __iter__(self) -> InputGenerator:
        return self

    def __next__(self) -> dict[str, torch.Tensor]:
        if self.max_batches is not None and self._given >= self.max_batches:
            raise StopIteration
        if self._batches is None:
            self._batches = iter(self._loader())
        try:
            x, _ = next(self._batches)
        except StopIteration:
            self._batches = iter(self._loader())
            x, _ = next(self._batches)
        self._given += 1
        return as_graph_inputs(x)


def get_dummy_input(model_info, data_module, task: str = "cls", device: str = "meta") -> dict[str, torch.Tensor]:
    """One training batch as `{"x": inputs}`, moved to `device` ("meta": shapes only, no data)."""
    batch = next(InputGenerator(model_info, data_module, task, "train", max_batches=1))
    return {k: v.to(device) for k, v in batch.items()}

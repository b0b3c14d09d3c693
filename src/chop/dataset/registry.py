"""The dataset registry: `@register_dataset` and `get_dataset`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chop.dataset.info import Dataset, DatasetInfo
from chop.errors import ConfigError
from chop.registry import Registry

Loader = Callable[..., Dataset]


@dataclass(frozen=True)
class DatasetEntry:
    """A registered dataset: its static info (known without loading) and its loader.

    The loader is called as `loader(data_dir=..., split_seed=..., **options)` and returns a `Dataset`.
    """

    info: DatasetInfo
    loader: Loader


DATASETS: Registry[DatasetEntry] = Registry("dataset")


def register_dataset(name: str, info: DatasetInfo):
    """Decorator registering a loader function under `name` with its static `info`."""
    if info.name != name:
        raise ConfigError(
            f"Dataset registered as '{name}' but its info is named '{info.name}'; make them equal."
        )

    def wrap(loader: Loader) -> Loader:
        DATASETS.register(name, DatasetEntry(info=info, loader=loader))
        return loader

    return wrap


def get_dataset_info(name: str) -> DatasetInfo:
    """Static info of a dataset (shape, classes) without loading any data."""
    return DATASETS.get(name).info


def get_dataset(
    name: str, data_dir: str | Path | None = None, split_seed: int = 42, **options
) -> Dataset:
    """Load dataset `name` with its train/val/test splits as tensors."""
    entry = DATASETS.get(name)
    return entry.loader(data_dir=Path(data_dir) if data_dir is not None else None, split_seed=split_seed, **options)


def run_options(name: str, max_token_len: int | None = None, dataset_options: dict | None = None) -> dict:
    """The options a run hands dataset `name`'s loader: the run config's `[dataset_options]`,
    and for text sets (whose info names token inputs) `max_token_len` (`--max-token-len`)."""
    options = dict(dataset_options or {})
    if max_token_len is not None and get_dataset_info(name).is_text:
        options["max_token_len"] = max_token_len
    return options

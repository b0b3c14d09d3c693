"""Hugging Face hub text sets by their usual names: `imdb`, `sst2`, `cola`.

They need the network the first time (and the extra `[hub]`: Hugging Face `datasets`); the
tokenized splits are then cached like every other set, and later loads read only the cache.
The validation split is held out from the training data; the test split is the set's own test
split (IMDb's 25,000 test reviews), never used for model selection. GLUE hides its test labels,
so for SST-2 and CoLA GLUE's validation split serves as the test split.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chop.dataset import download as net
from chop.dataset.info import Dataset, DatasetInfo
from chop.dataset.packaged import package_dir
from chop.dataset.options import reject_unknown_options
from chop.dataset.registry import register_dataset
from chop.dataset.text import TEXT_OPTIONS, load_text_dataset, text_info
from chop.dataset.text_table import TEST_PART, TRAIN_PART, TextTable, check_texts
from chop.errors import DataError

logger = logging.getLogger(__name__)

HUB_HINT = "pip install 'machop[hub]'"


@dataclass(frozen=True)
class HubTextSet:
    """A hub text classification set: where it lives, its columns, classes and splits."""

    name: str
    path: str  # hub repository
    config: str | None  # the GLUE task, for example
    text_column: str
    class_names: tuple[str, ...]
    test_split: str  # the hub split used as our test split
    description: str
    label_column: str = "label"
    train_split: str = "train"

    @property
    def source(self) -> str:
        return f"Hugging Face hub {self.path}" + (f" ({self.config})" if self.config else "")

    def info(self) -> DatasetInfo:
        return text_info(self.name, self.class_names, self.source, self.description)


HUB_SETS = (
    HubTextSet("imdb", "stanfordnlp/imdb", None, "text", ("neg", "pos"), "test",
               "IMDb movie reviews, negative / positive (25,000 train, 25,000 test)."),
    HubTextSet("sst2", "nyu-mll/glue", "sst2", "sentence", ("negative", "positive"), "validation",
               "GLUE SST-2 movie-review sentences, negative / positive (GLUE validation as test)."),
    HubTextSet("cola", "nyu-mll/glue", "cola", "sentence", ("unacceptable", "acceptable"), "validation",
               "GLUE CoLA grammatical acceptability (GLUE validation as test)."),
)


def load_hub_dataset(hub: HubTextSet):
    """The set's `datasets.DatasetDict` (or a dict of its splits) from the hub or its local cache."""
    if package_dir("datasets") is None:
        raise DataError(f"Dataset '{hub.name}' comes from the Hugging Face hub and needs the datasets "
                        f"library: {HUB_HINT}.")
    try:
        return net.fetch_hub_dataset(hub.path, hub.config)
    except net.DownloadError as e:
        raise DataError(f"Dataset '{hub.name}' is not available offline and the Hugging Face hub failed ({e}); "
                        f"connect this machine to the internet once (the tokenized set is cached after), "
                        f"or use an offline set (tweets, bbc-news) or your own file (text-file --data-dir).") from None


def table_from_hub(hub: HubTextSet, splits) -> TextTable:
    """Train and test rows of the hub splits as one table (rows with label -1, unlabelled, dropped)."""
    texts, labels, parts = [], [], []
    for part, split in ((TRAIN_PART, hub.train_split), (TEST_PART, hub.test_split)):
        if split not in splits:
            raise DataError(f"Dataset '{hub.name}': the hub copy has no '{split}' split "
                            f"(it has {', '.join(splits)}).")
        rows = splits[split]
        split_texts = check_texts(list(rows[hub.text_column]), f"{hub.source} {split}")
        split_labels = np.asarray(rows[hub.label_column], dtype=np.int64)
        keep = split_labels >= 0
        if split_labels.max(initial=-1) >= len(hub.class_names):
            raise DataError(f"Dataset '{hub.name}': the hub's {split} split has labels beyond "
                            f"{len(hub.class_names) - 1}; this machop knows {', '.join(hub.class_names)}.")
        texts += [t for t, k in zip(split_texts, keep) if k]
        labels.append(split_labels[keep])
        parts += [part] * int(keep.sum())
    return TextTable(texts, np.concatenate(labels), hub.class_names, np.asarray(parts))


def _register(hub: HubTextSet) -> None:
    def loader(data_dir: str | Path | None = None, split_seed: int = 42, **options) -> Dataset:
        reject_unknown_options(hub.name, {k: v for k, v in options.items() if k not in TEXT_OPTIONS},
                               TEXT_OPTIONS)
        # The hub copy is identified by name: once tokenized, loads need neither network nor hub.
        sources = [f"hub:{hub.path}:{hub.config}:{hub.train_split}/{hub.test_split}"]
        return load_text_dataset(hub.info(), sources, lambda: table_from_hub(hub, load_hub_dataset(hub)),
                                 split_seed=split_seed, **options)

    loader.__doc__ = f"Load {hub.name} from the Hugging Face hub: {hub.description}"
    register_dataset(hub.name, hub.info())(loader)


for _hub in HUB_SETS:
    _register(_hub)

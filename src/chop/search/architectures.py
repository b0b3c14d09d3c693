"""Model families whose architecture can be searched: each builds a model from a few numbers.

`ARCHITECTURES` maps a family name to an `Architecture`: its keys with defaults, a `check` that
rejects impossible combinations, and `build(values, dataset_info) -> nn.Module`. Every key
really changes the built model (depth and widths change the layers and parameter count).

- `mlp`: Flatten, optional BatchNorm, `depth` hidden Linear(-BN)-ReLU blocks of `width` units
  (or `width_0`, `width_1`, ... per layer), then a Linear classifier; layers in `seq_blocks`.
- `bert`: a BERT classifier (transformers) of `hidden_size`, `num_layers`, `num_heads`,
  `intermediate_size`; needs a token dataset (input ids) to be evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from chop.errors import ChopError
from chop.registry import Registry


@dataclass(frozen=True)
class Architecture:
    name: str
    defaults: Mapping[str, Any]
    build: Callable[[Mapping[str, Any], Any], nn.Module]
    check: Callable[[Mapping[str, Any]], str | None] = field(default=lambda values: None)
    open_keys: tuple[str, ...] = ()  # key prefixes accepted besides the defaults (e.g. "width_")


ARCHITECTURES: Registry[Architecture] = Registry("architecture family")


class SearchedMLP(nn.Module):
    """An MLP built from searched numbers; forward is `seq_blocks` as in the JSC models."""

    def __init__(self, in_features: int, widths: list[int], num_classes: int, batch_norm: bool):
        super().__init__()
        layers: list[nn.Module] = [nn.Flatten()]
        if batch_norm:
            layers.append(nn.BatchNorm1d(in_features))
        width = in_features
        for w in widths:
            layers.append(nn.Linear(width, w))
            if batch_norm:
                layers.append(nn.BatchNorm1d(w))
            layers.append(nn.ReLU())
            width = w
        layers.append(nn.Linear(width, num_classes))
        self.seq_blocks = nn.Sequential(*layers)

    def forward(self, x):
        return self.seq_blocks(x)


def mlp_widths(values: Mapping[str, Any]) -> list[int]:
    depth = int(values["depth"])
    return [int(values.get(f"width_{i}", values["width"])) for i in range(depth)]


def _check_mlp(values: Mapping[str, Any]) -> str | None:
    if not isinstance(values["depth"], int) or values["depth"] < 0:
        return f"depth={values['depth']!r} must be a non-negative integer"
    for i, w in enumerate(mlp_widths(values)):
        if w < 1:
            return f"width of hidden layer {i} is {w}; it must be at least 1"
    return None


def _build_mlp(values: Mapping[str, Any], info) -> nn.Module:
    return SearchedMLP(info.num_features, mlp_widths(values), info.num_classes, bool(values["batch_norm"]))


ARCHITECTURES.register("mlp", Architecture(
    "mlp", {"depth": 2, "width": 64, "batch_norm": True}, _build_mlp, _check_mlp, open_keys=("width_",)))


def _check_bert(values: Mapping[str, Any]) -> str | None:
    if values["hidden_size"] % values["num_heads"]:
        return f"hidden_size={values['hidden_size']} is not a multiple of num_heads={values['num_heads']}"
    return None


def _build_bert(values: Mapping[str, Any], info) -> nn.Module:
    try:
        from transformers import BertConfig, BertForSequenceClassification
    except ImportError:
        raise ChopError("The bert architecture needs transformers: pip install 'machop[nlp]'.") from None
    config = BertConfig(
        vocab_size=values["vocab_size"], hidden_size=values["hidden_size"],
        num_hidden_layers=values["num_layers"], num_attention_heads=values["num_heads"],
        intermediate_size=values["intermediate_size"], max_position_embeddings=values["max_length"],
        num_labels=info.num_classes,
    )
    return BertForSequenceClassification(config)


ARCHITECTURES.register("bert", Architecture(
    "bert", {"hidden_size": 128, "num_layers": 2, "num_heads": 2, "intermediate_size": 512,
             "vocab_size": 30522, "max_length": 512}, _build_bert, _check_bert))

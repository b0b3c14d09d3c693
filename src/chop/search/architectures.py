"""Model families whose architecture can be searched: each builds a model from a few numbers.

`ARCHITECTURES` maps a family name to an `Architecture`: its keys with defaults, a `check` that
rejects impossible combinations, and `build(values, dataset_info) -> nn.Module`. Every key
really changes the built model (depth and widths change the layers and parameter count).

- `mlp`: Flatten, optional BatchNorm, `depth` hidden Linear(-BN)-ReLU blocks of `width` units
  (or `width_0`, `width_1`, ... per layer), then a Linear classifier; layers in `seq_blocks`.
- `bert`: a BERT classifier (transformers) of `hidden_size`, `num_layers`, `num_heads`,
  `intermediate_size` (vocabulary and positions from the token dataset unless `vocab_size` /
  `max_length` are set), and MASE tutorial 5's `linear_layer_choices = ["linear", "identity"]`:
  every square Linear (each layer's query, key, value and attention output projections, and the
  pooler; keys `square_layer_<i>_<query|key|value|output>`, `square_pooler`) is kept or replaced
  by an Identity, a choice of its own.
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
    #: Rewrites the TOML table before it is read (one key standing for many, e.g. per-layer choices).
    expand: Callable[[Mapping[str, Any]], dict[str, Any]] = field(default=lambda table: dict(table))
    needs_text: bool = False  # built for token inputs (input_ids), not feature tensors


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


SQUARE = {"query": "attention.self.query", "key": "attention.self.key", "value": "attention.self.value",
          "output": "attention.output.dense"}
LAYER_TYPES = ("linear", "identity")


def _largest(raw: Any) -> int:
    """The largest value a TOML choice list, range table or plain number allows."""
    values = raw if isinstance(raw, list) else [raw.get("high")] if isinstance(raw, Mapping) else [raw]
    numbers = [int(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return max(numbers, default=0)  # a bad num_layers is reported by the family's check


def _expand_bert(table: Mapping[str, Any]) -> dict[str, Any]:
    """`linear_layer_choices` (MASE tutorial 5) becomes one choice per square Linear: the four
    attention projections of every layer up to the largest `num_layers`, and the pooler."""
    table = dict(table)
    choices = table.pop("linear_layer_choices", None)
    if choices is None:
        return table
    layers = _largest(table.get("num_layers", 2))
    keys = [f"square_layer_{i}_{part}" for i in range(layers) for part in SQUARE] + ["square_pooler"]
    for key in keys:
        table.setdefault(key, choices)
    return table


def square_choices(values: Mapping[str, Any]) -> dict[str, str]:
    return {k: v for k, v in values.items() if k.startswith("square_")}


def _check_bert(values: Mapping[str, Any]) -> str | None:
    for key in ("hidden_size", "num_layers", "num_heads", "intermediate_size"):
        if not isinstance(values[key], int) or values[key] < 1:
            return f"{key}={values[key]!r} must be a positive integer"
    if values["hidden_size"] % values["num_heads"]:
        return f"hidden_size={values['hidden_size']} is not a multiple of num_heads={values['num_heads']}"
    for key, choice in square_choices(values).items():
        if choice not in LAYER_TYPES:
            return f"{key}={choice!r} must be one of {', '.join(LAYER_TYPES)}"
    return None


def _bert_layer(model: nn.Module, key: str) -> str | None:
    """The module path of a square-layer key, or None for a layer deeper than the model."""
    if key == "square_pooler":
        return "bert.pooler.dense"
    _, _, index, part = key.split("_", 3)
    if not index.isdigit() or part not in SQUARE or int(index) >= model.config.num_hidden_layers:
        return None
    return f"bert.encoder.layer.{index}.{SQUARE[part]}"


def _build_bert(values: Mapping[str, Any], info) -> nn.Module:
    try:
        from transformers import BertConfig, BertForSequenceClassification
    except ImportError:
        raise ChopError("The bert architecture needs transformers: pip install 'machop[nlp]'.") from None
    shape = tuple(getattr(info, "input_shape", ()))
    length = shape[0] if len(shape) == 1 else 0
    config = BertConfig(
        vocab_size=values["vocab_size"] or getattr(info, "vocab_size", 0) or 30522,
        hidden_size=values["hidden_size"], num_hidden_layers=values["num_layers"],
        num_attention_heads=values["num_heads"], intermediate_size=values["intermediate_size"],
        max_position_embeddings=values["max_length"] or max(512, length),
        num_labels=info.num_classes, problem_type="single_label_classification",
    )
    model = BertForSequenceClassification(config)
    for key, choice in square_choices(values).items():
        path = _bert_layer(model, key)
        if path is not None and choice == "identity":
            parent, _, name = path.rpartition(".")
            setattr(model.get_submodule(parent), name, nn.Identity())
    return model


ARCHITECTURES.register("bert", Architecture(
    "bert", {"hidden_size": 128, "num_layers": 2, "num_heads": 2, "intermediate_size": 512,
             "vocab_size": 0, "max_length": 0}, _build_bert, _check_bert,
    open_keys=("square_",), expand=_expand_bert, needs_text=True))

"""What a dataset is: its shape, classes and split sizes, and the tensors of its splits."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Union

import torch

from chop.errors import CheckpointError


@dataclass(frozen=True)
class DatasetInfo:
    """Facts about a dataset that models and checkpoints need.

    `input_shape` excludes the batch dimension: (16,) for JSC, (1, 28, 28) for Fashion-MNIST,
    (max_token_len,) for text. `input_names` are the model inputs a batch carries, e.g.
    ("input_ids", "attention_mask") for text; empty means one tensor input named `x`.
    `vocab_size` and `tokenizer` say how token ids were made; `source` where the data comes from.
    """

    name: str
    task: str = "cls"
    input_shape: tuple[int, ...] = ()
    num_classes: int = 0
    class_names: tuple[str, ...] = ()
    split_sizes: dict[str, int] = field(default_factory=dict, compare=False)
    description: str = ""
    input_names: tuple[str, ...] = ()
    vocab_size: int = 0
    tokenizer: str = ""
    source: str = ""

    @property
    def is_text(self) -> bool:
        """True when batches are dicts of token tensors rather than one tensor."""
        return bool(self.input_names)

    @property
    def num_features(self) -> int:
        """Number of input features (the product of `input_shape`), as MASE's info had."""
        n = 1
        for d in self.input_shape:
            n *= d
        return n

    def to_dict(self) -> dict:
        d = asdict(self)
        d["input_shape"] = list(self.input_shape)
        d["class_names"] = list(self.class_names)
        d["input_names"] = list(self.input_names)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "DatasetInfo":
        d = dict(d)
        d["input_shape"] = tuple(d.get("input_shape", ()))
        d["class_names"] = tuple(d.get("class_names", ()))
        d["input_names"] = tuple(d.get("input_names", ()))
        d["split_sizes"] = dict(d.get("split_sizes", {}))
        return cls(**d)

    @classmethod
    def from_saved(cls, d: object, source: object) -> "DatasetInfo":
        """`from_dict` for a dict read from a file (checkpoint, recipe): a damaged one is one
        CheckpointError naming `source`, never a TypeError from deep inside."""
        def bad(why: str) -> CheckpointError:
            return CheckpointError(f"'{source}' has a damaged 'dataset_info' ({why}); "
                                   f"use a checkpoint or graph saved by machop.")

        if not isinstance(d, dict):
            raise bad(f"a {type(d).__name__}, not a table")
        unknown = set(d) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise bad(f"unknown keys {sorted(unknown)}")
        if not isinstance(d.get("name"), str):
            raise bad("no dataset name")
        shape = d.get("input_shape", [])
        if not isinstance(shape, (list, tuple)) or not all(type(n) is int and n > 0 for n in shape):
            raise bad(f"input_shape {shape!r} is not a list of positive integers")
        classes = d.get("num_classes", 0)
        if type(classes) is not int or classes < 0:
            raise bad(f"num_classes {classes!r} is not a whole number")
        names, sizes = d.get("class_names", []), d.get("split_sizes", {})
        if not isinstance(names, (list, tuple)) or not isinstance(sizes, dict):
            raise bad("class_names must be a list and split_sizes a table")
        if not all(isinstance(d.get(k, ""), str) for k in ("task", "description", "tokenizer", "source")):
            raise bad("task, description, tokenizer and source must be text")
        inputs = d.get("input_names", [])
        if not isinstance(inputs, (list, tuple)) or not all(isinstance(n, str) and n.isidentifier() for n in inputs):
            raise bad(f"input_names {inputs!r} is not a list of names")
        vocab = d.get("vocab_size", 0)
        if type(vocab) is not int or vocab < 0:
            raise bad(f"vocab_size {vocab!r} is not a whole number")
        return cls.from_dict(d)

    def same_interface(self, other: "DatasetInfo") -> bool:
        """True when a model built for `other` can run on this dataset."""
        return (
            tuple(self.input_shape) == tuple(other.input_shape)
            and self.num_classes == other.num_classes
            and tuple(self.input_names) == tuple(other.input_names)
        )


Inputs = Union[torch.Tensor, Mapping[str, torch.Tensor]]


def take_rows(x: Inputs, index) -> Inputs:
    """The rows `index` (a slice or an index tensor) of a tensor, or of every tensor of a dict."""
    if isinstance(x, torch.Tensor):
        return x[index]
    return {name: t[index] for name, t in x.items()}


def as_graph_inputs(x: Inputs) -> dict[str, torch.Tensor]:
    """What a graph takes as `dummy_in`: `{"x": x}` for one tensor, the dict itself for text."""
    return {"x": x} if isinstance(x, torch.Tensor) else dict(x)


@dataclass(frozen=True)
class TensorSplit:
    """One split held in memory: inputs `x` and integer labels `y` (N,).

    `x` is a tensor (N, *input_shape), or for text a dict of tensors with N rows each
    (`{"input_ids": (N, L), "attention_mask": (N, L)}`).
    """

    x: Inputs
    y: torch.Tensor

    def __post_init__(self):
        tensors = [self.x] if isinstance(self.x, torch.Tensor) else list(self.x.values())
        if not tensors:
            raise ValueError("a split needs at least one input tensor")
        for t in tensors:
            if len(t) != len(self.y):
                raise ValueError(f"x has {len(t)} rows but y has {len(self.y)}")

    def __len__(self) -> int:
        return len(self.y)

    @property
    def device(self) -> torch.device:
        return self.y.device

    def rows(self, index) -> "TensorSplit":
        """The rows `index` (a slice or an index tensor) as a new split."""
        return TensorSplit(take_rows(self.x, index), self.y[index])

    def sample(self, n: int, seed: int = 0) -> "TensorSplit":
        """`n` rows drawn at random without replacement (seeded), kept in split order: a fair
        subset even where a split keeps its file's order and the file is sorted by label (the
        tweets CSV is: its first 1,000 validation rows are all negative)."""
        if n >= len(self):
            return self
        chosen = torch.randperm(len(self), generator=torch.Generator().manual_seed(seed))[:n]
        return self.rows(chosen.sort().values.to(self.device))

    def to(self, device) -> "TensorSplit":
        if isinstance(self.x, torch.Tensor):
            return TensorSplit(self.x.to(device), self.y.to(device))
        return TensorSplit({k: v.to(device) for k, v in self.x.items()}, self.y.to(device))

    def inputs(self, n: int | None = None) -> dict[str, torch.Tensor]:
        """The first `n` rows (all with None) as the dict a graph takes (`dummy_in`)."""
        return as_graph_inputs(self.x if n is None else take_rows(self.x, slice(0, n)))


@dataclass(frozen=True)
class Dataset:
    """A dataset ready to train on: info plus train, validation and test splits.

    The validation split is held out from the training data; it is never the training or the
    test split itself.
    """

    info: DatasetInfo
    train: TensorSplit
    val: TensorSplit
    test: TensorSplit

    def split(self, name: str) -> TensorSplit:
        if name not in ("train", "val", "test"):
            raise ValueError(f"unknown split {name!r}")
        return getattr(self, name)

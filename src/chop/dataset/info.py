"""What a dataset is: its shape, classes and split sizes, and the tensors of its splits."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch

from chop.errors import CheckpointError


@dataclass(frozen=True)
class DatasetInfo:
    """Facts about a dataset that models and checkpoints need.

    `input_shape` excludes the batch dimension: (16,) for JSC, (1, 28, 28) for Fashion-MNIST.
    """

    name: str
    task: str = "cls"
    input_shape: tuple[int, ...] = ()
    num_classes: int = 0
    class_names: tuple[str, ...] = ()
    split_sizes: dict[str, int] = field(default_factory=dict, compare=False)
    description: str = ""

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
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "DatasetInfo":
        d = dict(d)
        d["input_shape"] = tuple(d.get("input_shape", ()))
        d["class_names"] = tuple(d.get("class_names", ()))
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
        if not isinstance(d.get("task", ""), str) or not isinstance(d.get("description", ""), str):
            raise bad("task and description must be text")
        return cls.from_dict(d)

    def same_interface(self, other: "DatasetInfo") -> bool:
        """True when a model built for `other` can run on this dataset."""
        return (
            tuple(self.input_shape) == tuple(other.input_shape)
            and self.num_classes == other.num_classes
        )


@dataclass(frozen=True)
class TensorSplit:
    """One split held as two tensors: inputs `x` (N, *input_shape) and integer labels `y` (N,)."""

    x: torch.Tensor
    y: torch.Tensor

    def __post_init__(self):
        if len(self.x) != len(self.y):
            raise ValueError(f"x has {len(self.x)} rows but y has {len(self.y)}")

    def __len__(self) -> int:
        return len(self.x)


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

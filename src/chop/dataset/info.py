"""What a dataset is: its shape, classes and split sizes, and the tensors of its splits."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import torch


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

"""`toy`: a small synthetic, JSC-shaped task (16 features, 5 classes) that needs no file.

Each class is a Gaussian blob around its own random centre, so simple models learn it quickly;
useful for smoke runs and tests of the engine.
"""

from __future__ import annotations

import torch

from chop.dataset.info import Dataset, DatasetInfo, TensorSplit
from chop.dataset.registry import register_dataset

TOY_SIZES = {"train": 4096, "val": 1024, "test": 1024}

TOY_INFO = DatasetInfo(
    name="toy",
    input_shape=(16,),
    num_classes=5,
    class_names=("a", "b", "c", "d", "e"),
    split_sizes=dict(TOY_SIZES),
    description="Synthetic Gaussian blobs, 16 features, 5 classes (no download).",
)


def make_blobs(n: int, generator: torch.Generator, num_features: int = 16, num_classes: int = 5):
    """`n` samples from `num_classes` Gaussian blobs whose centres come from `generator`."""
    centres = torch.randn(num_classes, num_features, generator=generator) * 1.5
    y = torch.randint(0, num_classes, (n,), generator=generator)
    x = centres[y] + torch.randn(n, num_features, generator=generator)
    return x, y


@register_dataset("toy", TOY_INFO)
def load_toy(data_dir=None, split_seed: int = 42, **_options) -> Dataset:
    g = torch.Generator().manual_seed(split_seed)
    total = sum(TOY_SIZES.values())
    x, y = make_blobs(total, g)
    a, b = TOY_SIZES["train"], TOY_SIZES["train"] + TOY_SIZES["val"]
    return Dataset(
        info=TOY_INFO,
        train=TensorSplit(x[:a], y[:a]),
        val=TensorSplit(x[a:b], y[a:b]),
        test=TensorSplit(x[b:], y[b:]),
    )

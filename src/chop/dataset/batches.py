"""Batches by slicing tensors that stay in memory, not per-sample `__getitem__` + collate.

Each epoch draws one permutation (from the seed and the epoch number, so a resumed run sees the
same order), gathers the split once, and yields contiguous slices of it. Under data parallelism
every rank draws the same permutation and takes its own interleaved share of equal length.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch

from chop.dataset.info import Inputs, TensorSplit, as_graph_inputs, take_rows


class TensorBatches:
    """Iterable of `(x, y)` batches over a `TensorSplit`; `x` is a tensor or, for text, a dict of
    tensors sliced alike."""

    def __init__(
        self,
        split: TensorSplit,
        batch_size: int,
        shuffle: bool = False,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
    ):
        self.split = split
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.epoch = 0

    @property
    def num_samples(self) -> int:
        """Samples this rank sees per epoch (equal on every rank, as DDP needs)."""
        n = len(self.split)
        if self.world_size == 1:
            return n
        return n // self.world_size if self.shuffle else math.ceil(n / self.world_size)

    def __len__(self) -> int:
        return math.ceil(self.num_samples / self.batch_size)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def _indices(self) -> torch.Tensor | None:
        n = len(self.split)
        if self.shuffle:
            g = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
            order = torch.randperm(n, generator=g)
        elif self.world_size > 1:
            order = torch.arange(n)
        else:
            return None
        if self.world_size > 1:
            order = order[self.rank :: self.world_size][: self.num_samples]
        return order

    def __iter__(self) -> Iterator[tuple[Inputs, torch.Tensor]]:
        order = self._indices()
        x, y = self.split.x, self.split.y
        if order is not None:
            x, y = take_rows(x, order), y[order]
        for start in range(0, len(y), self.batch_size):
            rows = slice(start, start + self.batch_size)
            yield take_rows(x, rows), y[rows]


def endless_inputs(split: TensorSplit, batch_size: int, seed: int = 0) -> Iterator[dict[str, torch.Tensor]]:
    """Shuffled input batches as graph inputs (`{"x": tensor}`, or the token dict of text),
    epoch after epoch: what passes that look at data (statistics, calibration, activation
    pruning) take as `input_generator`."""
    batches = TensorBatches(split, batch_size, shuffle=True, seed=seed)
    epoch = 0
    while True:
        batches.set_epoch(epoch)
        for x, _ in batches:
            yield as_graph_inputs(x)
        epoch += 1

"""Exact-k pruning masks from scores: the numbers behind every pruning method.

A mask is boolean, True = kept. Pruning `sparsity` s of n scored items prunes exactly
`k = floor(s * n + 0.5)` of them (round half up: 0.5 of 5 items prunes 3), never a Bernoulli
draw. The k lowest scores are pruned; ties are broken by position (the earlier item, in
row-major order, is pruned first), so a mask is a deterministic function of its scores.

Scores (`weight_scores`):
- `l1-norm`: |w| per element; per channel (output row) the mean |w| of the row;
- `l2-norm`: w^2 per element (the same order as |w|); per channel the RMS of the row;
- `random`: uniform draws from a seeded `torch.Generator`.
Channel scores are means, i.e. normalised by the row size, so that `global` scope can rank rows
of layers with different fan-in against each other; elementwise global scope ranks raw
magnitudes across layers (no per-layer normalisation).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import torch

METHODS = ("random", "l1-norm", "l2-norm")
SCOPES = ("local", "global")
GRANULARITIES = ("elementwise", "channel")


def num_pruned(sparsity: float, n: int) -> int:
    """How many of `n` items sparsity `sparsity` prunes: floor(s * n + 0.5)."""
    return min(n, int(math.floor(sparsity * n + 0.5)))


def keep_lowest_pruned(scores: torch.Tensor, k: int) -> torch.Tensor:
    """A mask of `scores`' shape pruning exactly the `k` lowest scores (ties: earliest first)."""
    flat = scores.detach().reshape(-1).to(torch.float64)
    order = torch.sort(flat, stable=True).indices
    keep = torch.ones(flat.numel(), dtype=torch.bool, device=flat.device)
    keep[order[:k]] = False
    return keep.reshape(scores.shape)


def channel_reduce(values: torch.Tensor, method: str, dim: int = 0) -> torch.Tensor:
    """One score per index of `dim`: the mean |v| (l1) or the RMS (l2) over the other dims."""
    moved = values.detach().movedim(dim, 0).reshape(values.shape[dim], -1).to(torch.float64)
    if method == "l2-norm":
        return moved.pow(2).mean(dim=1).sqrt()
    return moved.abs().mean(dim=1)


def weight_scores(weight: torch.Tensor, method: str, granularity: str,
                  generator: torch.Generator | None = None) -> torch.Tensor:
    """Scores of a weight: one per element, or one per output channel (row, dim 0)."""
    shape = weight.shape if granularity == "elementwise" else weight.shape[:1]
    if method == "random":
        return torch.rand(shape, generator=generator, dtype=torch.float64)
    if granularity == "channel":
        return channel_reduce(weight, method, 0)
    values = weight.detach().to(torch.float64)
    return values.pow(2) if method == "l2-norm" else values.abs()


def local_masks(scores: Mapping[str, torch.Tensor], sparsity: Mapping[str, float]) -> dict[str, torch.Tensor]:
    """Each entry pruned on its own to its own sparsity."""
    return {name: keep_lowest_pruned(s, num_pruned(sparsity[name], s.numel())) for name, s in scores.items()}


def global_masks(scores: Mapping[str, torch.Tensor], sparsity: float) -> dict[str, torch.Tensor]:
    """All entries ranked together: exactly round(s * total) of all their items pruned.

    Ties across entries are broken by the entries' order, then by position."""
    if not scores:
        return {}
    names = list(scores)
    flat = torch.cat([scores[n].detach().reshape(-1).to(torch.float64).cpu() for n in names])
    keep = keep_lowest_pruned(flat, num_pruned(sparsity, flat.numel()))
    masks, start = {}, 0
    for name in names:
        size = scores[name].numel()
        masks[name] = keep[start:start + size].reshape(scores[name].shape).clone()
        start += size
    return masks


def expand_channel_mask(row_mask: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    """A per-row mask broadcast to a weight of `shape` (rows along dim 0)."""
    return row_mask.reshape(-1, *([1] * (len(shape) - 1))).expand(shape).clone()

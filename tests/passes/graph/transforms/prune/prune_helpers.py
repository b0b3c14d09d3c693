"""Graphs the pruning tests share: registered models lifted with op and shape metadata."""

from __future__ import annotations

import torch

from chop import MaseGraph
from chop.dataset.info import DatasetInfo
from chop.models import get_model
from chop.passes.graph import add_common_metadata_analysis_pass, init_metadata_analysis_pass
from chop.passes.graph.transforms.prune.modules import effective_weight

JSC = DatasetInfo(name="jsc", input_shape=(16,), num_classes=5)
DIGITS = DatasetInfo(name="digits", input_shape=(1, 8, 8), num_classes=10)
INPUTS = {"jsc": (16,), "digits": (1, 8, 8)}


def graph(model: str = "jsc-s", info: DatasetInfo = JSC, seed: int = 0, batch: int = 8) -> MaseGraph:
    """`model` with seeded weights, traced, with common metadata from a random batch."""
    torch.manual_seed(seed)
    mg = MaseGraph(get_model(model, info), model_name=model, dataset_info=info)
    mg, _ = init_metadata_analysis_pass(mg, None)
    mg, _ = add_common_metadata_analysis_pass(mg, {"dummy_in": {"x": batch_of(info, batch)}})
    return mg


def batch_of(info: DatasetInfo, n: int = 8, seed: int | None = None) -> torch.Tensor:
    gen = None if seed is None else torch.Generator().manual_seed(seed)
    return torch.randn(n, *info.input_shape, generator=gen)


def batches(info: DatasetInfo, n: int, size: int = 16, seed: int = 0) -> list[dict]:
    return [{"x": batch_of(info, size, seed + i)} for i in range(n)]


def weight_of(mg: MaseGraph, node: str) -> torch.Tensor:
    """The effective weight of a layer node, detached."""
    return effective_weight(mg.model.get_submodule(mg.node(node).target)).detach()


def zeros(t: torch.Tensor) -> int:
    return int((t == 0).sum())


def zero_rows(t: torch.Tensor) -> int:
    return int((t.reshape(t.shape[0], -1) == 0).all(dim=1).sum())

"""A graph's inputs from a dataset: which names to trace, and the example batches passes take.

A Hugging Face model is traced with the inputs its dataset carries (`DatasetInfo.input_names`,
e.g. `input_ids` and `attention_mask`) unless the run config's `hf_input_names` says otherwise;
`labels` is traced only when asked for (the engine computes the loss from the logits). The
example inputs (`dummy_in`, the calibration `input_generator`) are real rows of a split, as the
dict the graph takes: `{"x": tensor}` for a tensor model, the token tensors for a text model,
plus `labels` when the graph has that input.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence

import torch
from torch import fx, nn

from chop.dataset.info import DatasetInfo, TensorSplit


def trace_input_names(model: nn.Module, info: DatasetInfo | None,
                      configured: Sequence[str] | None = None) -> list[str] | None:
    """`hf_input_names` for tracing `model`: the configured ones, else those of the dataset that
    the model's forward accepts, else None (a plain model, or transformers' own default)."""
    from chop.ir.hf_tracer import is_hf_model

    if configured:
        return list(configured)
    if not is_hf_model(model) or info is None:
        return None
    accepted = set(inspect.signature(model.forward).parameters)
    names = [name for name in getattr(info, "input_names", ()) if name in accepted]
    return names or None


def graph_input_names(gm: fx.GraphModule) -> list[str]:
    return [node.target for node in gm.graph.nodes if node.op == "placeholder"]


def example_inputs(gm: fx.GraphModule, split: TensorSplit, n: int) -> dict[str, torch.Tensor]:
    """The first `n` rows of `split` as `gm`'s inputs (its `dummy_in`)."""
    inputs = dict(split.inputs(n))
    if "labels" in graph_input_names(gm) and "labels" not in inputs:
        inputs["labels"] = split.y[:n]
    return inputs


def example_batches(gm: fx.GraphModule, split: TensorSplit, batch_size: int,
                    seed: int = 0) -> Iterator[dict[str, torch.Tensor]]:
    """Shuffled batches of `split` as `gm`'s inputs, epoch after epoch (an `input_generator`)."""
    from chop.dataset.batches import endless_inputs

    if "labels" not in graph_input_names(gm):
        yield from endless_inputs(split, batch_size, seed)
        return
    generator = torch.Generator().manual_seed(seed)
    while True:
        order = torch.randperm(len(split), generator=generator)
        for start in range(0, len(order), batch_size):
            rows = split.rows(order[start:start + batch_size])
            yield {**rows.inputs(), "labels": rows.y}

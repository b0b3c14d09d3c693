"""Calling a model on a batch: one tensor or a dict of token tensors in, logits out.

Vision and tabular models take one tensor and return logits. Text models take the dataset's named
inputs (`input_ids`, `attention_mask`, ...) as keywords and return a Hugging Face output (or, as a
traced graph, a dict with "logits"). A graph traced with `labels` among its inputs needs them
too; the loss it computes is ignored, since the engine computes its own. The caller is built once
per model, so the step pays one dict comprehension, not a signature inspection.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping

import torch
from torch import nn

from chop.errors import ChopError


def logits_of(output) -> torch.Tensor:
    """The logits of a model's output: a tensor, a mapping / ModelOutput with "logits", or an
    object with a `.logits` attribute."""
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, Mapping) and "logits" in output:
        return output["logits"]
    logits = getattr(output, "logits", None)
    if isinstance(logits, torch.Tensor):
        return logits
    raise ChopError(f"The model returned a {type(output).__name__}, not logits; a classifier must "
                    f"return a logits tensor or an output with 'logits'.")


def _unwrapped(fn):
    """The module whose forward says which arguments a (Fabric / DDP wrapped) model takes."""
    for attr in ("_forward_module", "module"):
        while isinstance(getattr(fn, attr, None), nn.Module):
            fn = getattr(fn, attr)
    return fn


def _parameters(fn) -> tuple[set[str] | None, set[str]]:
    """(keywords accepted, None for any; keywords required) by `fn` or a module's forward."""
    target = _unwrapped(fn)
    target = target.forward if isinstance(target, nn.Module) else target
    try:
        params = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):
        return None, set()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None, set()
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    accepted = {p.name for p in params if p.kind in kinds}
    required = {p.name for p in params if p.kind in kinds and p.default is inspect.Parameter.empty}
    return accepted, required


def batch_caller(forward: Callable) -> Callable[[object, torch.Tensor], torch.Tensor]:
    """`call(x, y) -> logits` for `forward` (a model or its hot-path callable)."""
    accepted, required = _parameters(forward)
    wants_labels = "labels" in required

    def call(x, y: torch.Tensor) -> torch.Tensor:
        if isinstance(x, torch.Tensor):
            return logits_of(forward(x))
        kwargs = dict(x) if accepted is None else {k: v for k, v in x.items() if k in accepted}
        if wants_labels and y is not None:
            kwargs["labels"] = y
        missing = required - set(kwargs)
        if missing:
            raise ChopError(f"The model needs input(s) {sorted(missing)} that the dataset's batches "
                            f"({sorted(x)}) do not have; trace it with hf_input_names from {sorted(x)}.")
        return logits_of(forward(**kwargs))

    return call


def call_model(model: Callable, x, y: torch.Tensor | None = None) -> torch.Tensor:
    """Logits of `model` on one batch `x` (a tensor, or a dict of named inputs)."""
    if isinstance(x, torch.Tensor):
        return logits_of(model(x))
    return batch_caller(model)(x, y)

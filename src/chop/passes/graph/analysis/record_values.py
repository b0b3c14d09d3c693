"""Running a traced model on example inputs through an fx.Interpreter that watches its nodes.

Used by the common metadata pass (shapes and dtypes) and by activation profiling. The model runs
in eval mode without gradients, so batch-norm statistics are not changed by looking at it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from typing import Any

import torch
from torch import fx

from chop.errors import ConfigError


def placeholders(gm: fx.GraphModule) -> list[fx.Node]:
    return [node for node in gm.graph.nodes if node.op == "placeholder"]


def input_args(gm: fx.GraphModule, inputs: Any, what: str = "dummy_in") -> list[Any]:
    """Positional inputs for `gm` from a dict by input name, a tensor, or a tuple/list of them."""
    nodes = placeholders(gm)
    if isinstance(inputs, Mapping):
        missing = [n.target for n in nodes if n.target not in inputs and not n.args]
        if missing:
            raise ConfigError(
                f"{what} lacks the graph input(s) {missing}; it has {sorted(map(str, inputs))}."
            )
        return [inputs[n.target] if n.target in inputs else n.args[0] for n in nodes]
    if isinstance(inputs, torch.Tensor):
        inputs = [inputs]
    if isinstance(inputs, (tuple, list)) and len(inputs) >= len(nodes):
        return list(inputs[: len(nodes)])
    raise ConfigError(
        f"{what} must be a dict by input name ({[n.target for n in nodes]}), a tensor, or a "
        f"tuple of {len(nodes)} tensor(s); got {type(inputs).__name__}."
    )


def _to_device(value: Any, device: torch.device) -> Any:
    return value.to(device) if isinstance(value, torch.Tensor) else value


@contextlib.contextmanager
def evaluating(gm: torch.nn.Module) -> Iterator[None]:
    """Eval mode and no gradients inside; the training flag is restored afterwards."""
    was_training = gm.training
    gm.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        gm.train(was_training)


def model_device(gm: torch.nn.Module) -> torch.device:
    for tensor in gm.parameters():
        return tensor.device
    return torch.device("cpu")


def run_interpreter(interpreter: fx.Interpreter, inputs: Any, what: str = "dummy_in") -> Any:
    """Run `interpreter` (an fx.Interpreter over a GraphModule) once on `inputs`, in eval mode."""
    gm = interpreter.module
    device = model_device(gm)
    args = [_to_device(a, device) for a in input_args(gm, inputs, what)]
    with evaluating(gm):
        try:
            return interpreter.run(*args)
        except (RuntimeError, ValueError, TypeError, IndexError) as exc:
            raise ConfigError(_misfit(what, exc, gm, args)) from None


def _misfit(what: str, exc: Exception, gm: fx.GraphModule, args: list[Any]) -> str:
    """One sentence for inputs the model cannot run: which node failed, why, what was given."""
    text = str(exc)
    node = re.search(r"While executing %(\w+)", text)
    reason = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    given = ", ".join(f"{p.target}: {list(a.shape) if isinstance(a, torch.Tensor) else type(a).__name__}"
                      for p, a in zip(placeholders(gm), args))
    where = f" at node '{node.group(1)}'" if node else ""
    return (f"{what} does not fit the model{where} ({reason}); give inputs of the shape the model "
            f"takes (got {given}).")

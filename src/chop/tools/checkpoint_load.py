"""`load_model(load_name, load_type, model)`: MASE's loader over machop's safe checkpoint readers.

Types: "pl" (a `ch train` .ckpt), "pt" (a plain state dict), "mg" (a `ch transform`
`transformed_ckpt` directory), and "mz" (MASE's default), which picks "mg" for a directory and
"pl"/"pt" by what the file holds. Nothing is unpickled: checkpoints load with
`weights_only=True`, graphs from safetensors + JSON.
"""

from __future__ import annotations

from pathlib import Path

from torch import nn

from chop.engine.checkpoint import load_weights, read_checkpoint, weights_of
from chop.errors import CheckpointError, ConfigError, did_you_mean
from chop.passes.replay import graph_from_recipe

LOAD_TYPES = ("pl", "pt", "mg", "mz")


def load_model(load_name: str | Path, load_type: str = "mz", model: nn.Module | None = None) -> nn.Module:
    """The model with the checkpoint's weights loaded (`model` itself for pl/pt when given).

    Without `model`, a `ch train` checkpoint builds the registered model it names; "mg" returns
    the transformed graph's GraphModule (wrap it with `MaseGraph(...)` to run passes on it).
    """
    if load_type not in LOAD_TYPES:
        raise ConfigError(f"load_type '{load_type}' is not valid.{did_you_mean(load_type, LOAD_TYPES)}")
    path = Path(load_name)
    if load_type == "mg" or (load_type == "mz" and path.is_dir()):
        from chop.ir import MaseGraph

        if not path.is_dir():
            raise CheckpointError(f"'{path}' is not a directory saved by `ch transform` or MaseGraph.save.")
        return MaseGraph.load(path, model=model).model
    ckpt = read_checkpoint(path)
    if load_type == "pt" and "state_dict" in ckpt:
        raise CheckpointError(f"Checkpoint '{path}' is a training checkpoint; use load_type='pl'.")
    recipe = ckpt.get("recipe")
    if recipe:  # a checkpoint of a transformed graph (QAT): rebuild its transforms first
        model = graph_from_recipe(recipe, model=model, where=f"the recipe in '{path}'").model
    elif model is None:
        model = _model_of(ckpt, path)
    load_weights(model, weights_of(ckpt, "pt" if load_type == "pt" else "pl", path), path)
    return model


def _model_of(ckpt: dict, path: Path) -> nn.Module:
    from chop.dataset.info import DatasetInfo
    from chop.models import get_model

    if not ckpt.get("model_name"):
        raise CheckpointError(f"Checkpoint '{path}' does not name its model; pass model=get_model(...).")
    info = DatasetInfo.from_dict(ckpt["dataset_info"]) if ckpt.get("dataset_info") else None
    return get_model(ckpt["model_name"], dataset_info=info)

"""Saving and loading a MaseGraph safely: weights as safetensors, recipe and metadata as JSON.

A saved graph is a directory:
- `model.safetensors`: the GraphModule's weights (tied weights stored once);
- `recipe.json`: `{"model": name, "dataset_info": {...}, "hf_input_names": [...],
  "passes": [[pass_name, args], ...]}` (plus `"hf_model": {"class", "config"}` for a Hugging Face
  model), how to rebuild the graph: build the model (from its saved HF config, else the registry),
  trace it, replay the transform passes (the pass layer does that: `chop.passes.replay`);
- `metadata.json`: every node's MaseMetadata (dtypes as "torch.float32", tensors as lists).

Nothing is pickled, so loading runs no code from the file. Loading a graph of a model that is not
in the registry needs the freshly built model: `MaseGraph.load(dir, model=MyNet())`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from chop import atomic
from chop.dataset.info import DatasetInfo
from chop.errors import CheckpointError
from chop.hooks import replay_recipe
from chop.ir.hf_recipe import build_hf_model
from chop.ir.metadata import MaseMetadata
from chop.models import get_model, saved_model_name

if TYPE_CHECKING:
    from chop.ir.graph import MaseGraph

FORMAT = "machop.MaseGraph"
VERSION = 1
WEIGHTS, RECIPE, METADATA = "model.safetensors", "recipe.json", "metadata.json"


def to_json(value: Any) -> Any:
    """A JSON-ready copy of metadata: dtypes and tensors become tagged plain values."""
    if isinstance(value, torch.dtype):
        return str(value)
    if isinstance(value, torch.Tensor):
        return {"__tensor__": value.detach().cpu().tolist(), "dtype": str(value.dtype)}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return f"<{type(value).__name__}>"


def _dtype(text: str) -> torch.dtype:
    name = str(text).removeprefix("torch.")
    found = getattr(torch, name, None)
    if not isinstance(found, torch.dtype):
        raise CheckpointError(f"Saved metadata names an unknown dtype {text!r}; the file is damaged.")
    return found


def from_json(value: Any, key: str = "") -> Any:
    """Undo `to_json`: tagged tensors and `torch_dtype` strings come back as torch objects."""
    if isinstance(value, dict):
        if "__tensor__" in value:
            return torch.tensor(value["__tensor__"], dtype=_dtype(value["dtype"]))
        return {k: from_json(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    if key == "torch_dtype" and isinstance(value, str) and value.startswith("torch."):
        return _dtype(value)
    return value


def save_graph(mg: MaseGraph, directory: str | Path) -> Path:
    """Write weights, recipe and metadata of `mg` into `directory` (created if needed)."""
    from safetensors.torch import save_model

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    recipe = {"format": FORMAT, "version": VERSION, **mg.recipe()}
    try:
        recipe_text = json.dumps(recipe, indent=2)
    except TypeError as exc:
        raise CheckpointError(
            f"The graph's recipe cannot be saved as JSON ({exc}); transform passes must record "
            f"TOML-like arguments."
        ) from None
    with atomic.replacing(directory / WEIGHTS) as tmp:
        save_model(mg.model, str(tmp))
    atomic.write_text(directory / RECIPE, recipe_text)
    nodes = [
        {"name": node.name, "op": node.op, "mase": to_json(node.meta["mase"].parameters)}
        for node in mg.fx_graph.nodes
        if "mase" in node.meta
    ]
    atomic.write_text(directory / METADATA, json.dumps({"nodes": nodes}, indent=1))
    return directory


def _read_json(path: Path) -> dict:
    if not path.is_file():
        raise CheckpointError(f"'{path}' is missing; is '{path.parent}' a directory saved by MaseGraph.save?")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"'{path}' is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise CheckpointError(f"'{path}' holds a {type(data).__name__}, not a JSON object; the file is damaged.")
    return data


def read_recipe(directory: str | Path) -> dict:
    """The recipe of a saved graph (model name, dataset info, passes), without rebuilding it."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CheckpointError(f"'{directory}' is not a directory saved by ch transform or MaseGraph.save "
                              f"(e.g. PROJECT/software/transform/transformed_ckpt); check the --load path.")
    recipe = _read_json(directory / RECIPE)
    if not isinstance(recipe, dict) or recipe.get("format") != FORMAT:
        raise CheckpointError(f"'{directory / RECIPE}' is not a {FORMAT} recipe.")
    return recipe


def rebuild_graph(recipe: dict, model: torch.nn.Module | None = None) -> MaseGraph:
    """The recipe's model (from the registry, or `model`) traced, before any transform."""
    from chop.ir.graph import MaseGraph

    info = DatasetInfo.from_saved(recipe["dataset_info"], "recipe") if recipe.get("dataset_info") is not None else None
    if model is None and recipe.get("hf_model") is not None:
        model = build_hf_model(recipe["hf_model"], "recipe")
    if model is None:
        if not recipe.get("model"):
            raise CheckpointError(
                "The saved graph names no registered model; pass the model: MaseGraph.load(dir, model=...)."
            )
        model = get_model(saved_model_name(recipe["model"], "recipe"), info)
    return MaseGraph(model, hf_input_names=recipe.get("hf_input_names"),
                     model_name=recipe.get("model"), dataset_info=info)


def load_graph(directory: str | Path, model: torch.nn.Module | None = None) -> MaseGraph:
    """Rebuild the graph saved in `directory`, with its weights and metadata.

    The recipe's transform passes are replayed by the pass layer (`chop.hooks.replay_recipe`,
    provided by `chop.passes.replay`), which accepts only registered transform passes with
    checked arguments and no paths."""
    from safetensors.torch import load_model

    directory = Path(directory)
    recipe = read_recipe(directory)
    mg = replay_recipe(rebuild_graph(recipe, model), recipe.get("passes", []), str(directory / RECIPE))
    try:
        missing, unexpected = load_model(mg.model, str(directory / WEIGHTS), strict=False)
    except Exception as exc:  # missing, truncated, not safetensors, or tensors of other shapes
        first = " ".join(str(exc).split()) or type(exc).__name__
        raise CheckpointError(f"Cannot load weights '{directory / WEIGHTS}' into the rebuilt graph "
                              f"({first[:200]}); is it the graph that ch transform saved there?") from None
    if missing or unexpected:
        raise CheckpointError(
            f"Saved weights do not fit the rebuilt graph: missing {sorted(missing)[:5]}, "
            f"unexpected {sorted(unexpected)[:5]}."
        )
    saved = _read_json(directory / METADATA).get("nodes")
    if not isinstance(saved, list) or not all(
            isinstance(e, dict) and isinstance(e.get("name"), str) and isinstance(e.get("mase"), dict) for e in saved):
        raise CheckpointError(f"'{directory / METADATA}' is damaged: 'nodes' must be a list of "
                              f"{{name, op, mase}} tables; save the graph again.")
    graph_nodes = {node.name: node for node in mg.fx_graph.nodes}
    absent = [entry["name"] for entry in saved if entry["name"] not in graph_nodes]
    if absent:
        raise CheckpointError(f"Saved metadata names nodes the rebuilt graph lacks: {absent[:5]}.")
    for entry in saved:
        graph_nodes[entry["name"]].meta["mase"] = MaseMetadata(from_json(entry["mase"]))
    mg.model.eval()
    return mg

"""What every action needs: names resolved, the dataset loaded, the model built and loaded."""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from chop.config import RunConfig
from chop.dataset import DATASETS, Dataset, get_dataset
from chop.engine.checkpoint import check_fits, load_weights, read_checkpoint, weights_of
from chop.errors import ConfigError
from chop.models import MODELS, get_model, import_model_file, resolve_model_name

log = logging.getLogger("chop")


@dataclass
class Prepared:
    model_name: str
    dataset: Dataset
    model: nn.Module
    checkpoint: dict | None = None
    recipe: dict | None = None  # set when the model is a transformed MaseGraph


def require(cfg: RunConfig, action: str, *keys: str) -> None:
    for key in keys:
        if getattr(cfg, key) in (None, ""):
            hint = {"model": "MODEL", "dataset": "DATASET", "load_name": "--load CKPT"}[key]
            raise ConfigError(f"ch {action} needs {hint} (on the command line or as '{key}' in the TOML).")


def resolve_names(cfg: RunConfig) -> str:
    """Import the user's model files and return the plain model name."""
    for path in cfg.model_files:
        import_model_file(path)
    return resolve_model_name(cfg.model) if cfg.model else cfg.model


def prepare(cfg: RunConfig, checkpoint: dict | None = None) -> Prepared:
    """Load the dataset, build the model seeded by `cfg.seed`, and load `--load` weights.

    `--load-type mg` loads a transformed graph saved by `ch transform`; a training checkpoint of
    such a graph carries its recipe, so the same transforms are rebuilt before its weights load.
    """
    model_name = resolve_names(cfg)
    if model_name not in MODELS:
        from chop.actions.model_hint import unknown_model_error

        raise unknown_model_error(model_name, MODELS.names(), cfg.load_name)
    DATASETS.get(cfg.dataset)  # name errors before any work
    log.info("Initialising dataset '%s'...", cfg.dataset)
    dataset = get_dataset(cfg.dataset, data_dir=cfg.data_dir)
    log.info("Initialising model '%s'...", model_name)
    torch.manual_seed(cfg.seed)
    if cfg.load_name and cfg.load_type == "mg":
        return _prepare_graph(cfg, model_name, dataset)
    recipe = None
    model = get_model(model_name, dataset.info)
    if cfg.load_name:
        if checkpoint is None:
            checkpoint = read_checkpoint(cfg.load_name)
        check_fits(checkpoint, model_name, dataset.info, cfg.load_name)
        recipe = checkpoint.get("recipe")
        if recipe:
            from chop.ir.serialize import graph_from_recipe

            model = graph_from_recipe(recipe).model
        load_weights(model, weights_of(checkpoint, cfg.load_type, cfg.load_name), cfg.load_name)
        log.info("Loaded weights from '%s'.", cfg.load_name)
    return Prepared(model_name, dataset, model, checkpoint, recipe)


def _prepare_graph(cfg: RunConfig, model_name: str, dataset: Dataset) -> Prepared:
    from chop.ir import MaseGraph

    mg = MaseGraph.load(cfg.load_name)
    recipe = mg.recipe()
    check_fits({"model_name": recipe.get("model"), "dataset_info": recipe.get("dataset_info")},
               model_name, dataset.info, cfg.load_name)
    log.info("Loaded transformed graph from '%s' (passes: %s).", cfg.load_name,
             ", ".join(name for name, _ in recipe["passes"]) or "none")
    return Prepared(model_name, dataset, mg.model, None, recipe)


def archive_previous(ckpt_dir: Path) -> Path | None:
    """Move an earlier run's checkpoints aside (never overwrite them silently)."""
    old = [p for p in (ckpt_dir / "best.ckpt", ckpt_dir / "last.ckpt") if p.exists()]
    if not old:
        return None
    dest = ckpt_dir / "previous" / time.strftime("%Y%m%d-%H%M%S")
    n = 1
    while dest.exists():
        dest = dest.with_name(f"{dest.name.split('.')[0]}.{n}")
        n += 1
    dest.mkdir(parents=True)
    for p in old:
        shutil.move(str(p), dest / p.name)
    log.warning("An earlier run's checkpoints were in %s; moved them to %s.", ckpt_dir, dest)
    return dest


def project_of_checkpoint(path: str | Path) -> Path | None:
    """`<project>` for a checkpoint at `<project>/software/training_ckpts/x.ckpt`, a transformed
    graph at `<project>/software/transform/transformed_ckpt` or a search's
    `<project>/software/search_ckpts/best_ckpt`; else None."""
    p = Path(path).resolve()
    if p.parent.name == "training_ckpts" and p.parent.parent.name == "software":
        return p.parent.parent.parent
    if (p.name, p.parent.name) in (("transformed_ckpt", "transform"), ("best_ckpt", "search_ckpts")) \
            and p.parent.parent.name == "software":
        return p.parent.parent.parent
    return None

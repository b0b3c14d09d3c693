"""What a run starts from: the user's model files imported, the dataset loaded, the model built
and `--load` weights (or a transformed graph) loaded. Shared by the actions and search trials."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import torch
from torch import nn

from chop.config import RunConfig
from chop.dataset import DATASETS, Dataset, get_dataset
from chop.dataset.registry import run_options
from chop.engine.checkpoint import check_fits, load_weights, read_checkpoint, weights_of
from chop.engine.model_hint import unknown_model_error
from chop.ir import MaseGraph
from chop.models import MODELS, get_model, import_model_file, resolve_model_name
from chop.passes.replay import graph_from_recipe

log = logging.getLogger("chop")


@dataclass
class Prepared:
    model_name: str
    dataset: Dataset
    model: nn.Module
    checkpoint: dict | None = None
    recipe: dict | None = None  # set when the model is a transformed MaseGraph


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
        raise unknown_model_error(model_name, MODELS.names(), cfg.load_name)
    DATASETS.get(cfg.dataset)  # name errors before any work
    log.info("Initialising dataset '%s'...", cfg.dataset)
    dataset = get_dataset(cfg.dataset, data_dir=cfg.data_dir, **run_options(cfg.dataset, cfg.max_token_len, cfg.dataset_options))
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
            model = graph_from_recipe(recipe, where=f"the recipe in '{cfg.load_name}'").model
        load_weights(model, weights_of(checkpoint, cfg.load_type, cfg.load_name), cfg.load_name)
        log.info("Loaded weights from '%s'.", cfg.load_name)
    return Prepared(model_name, dataset, model, checkpoint, recipe)


def _prepare_graph(cfg: RunConfig, model_name: str, dataset: Dataset) -> Prepared:
    mg = MaseGraph.load(cfg.load_name)
    recipe = mg.recipe()
    check_fits({"model_name": recipe.get("model"), "dataset_info": recipe.get("dataset_info")},
               model_name, dataset.info, cfg.load_name)
    log.info("Loaded transformed graph from '%s' (passes: %s).", cfg.load_name,
             ", ".join(name for name, _ in recipe["passes"]) or "none")
    return Prepared(model_name, dataset, mg.model, None, recipe)

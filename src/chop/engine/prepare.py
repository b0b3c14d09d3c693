"""What a run starts from: the user's model files imported, the dataset loaded, the model built
and `--load` weights (or a transformed graph) loaded. Shared by the actions and search trials."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

import torch
from torch import nn

from chop.config import RunConfig
from chop.dataset import DATASETS, Dataset, DatasetInfo, get_dataset
from chop.dataset.registry import run_options
from chop.engine.checkpoint import check_fits, load_weights, read_checkpoint, weights_of
from chop.engine.model_hint import unknown_model_error
from chop.ir import MaseGraph
from chop.models.weights_follow import weights_follow
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
    if cfg.load_name and cfg.load_type not in ("mg", "hf") and checkpoint is None:
        checkpoint = read_checkpoint(cfg.load_name)
    log.info("Initialising dataset '%s'...", cfg.dataset)
    token_len = saved_token_len(cfg, checkpoint)
    dataset = get_dataset(cfg.dataset, data_dir=cfg.data_dir,
                          **run_options(cfg.dataset, token_len, cfg.dataset_options))
    log.info("Initialising model '%s'...", model_name)
    torch.manual_seed(cfg.seed)
    if cfg.load_name and cfg.load_type == "mg":
        return _prepare_graph(cfg, model_name, dataset)
    if cfg.load_name and cfg.load_type == "hf":
        return Prepared(model_name, dataset, _hf_classifier(cfg, dataset))
    recipe = None
    with weights_follow() if checkpoint is not None else contextlib.nullcontext():
        model = get_model(model_name, dataset.info)
    if cfg.load_name:
        check_fits(checkpoint, model_name, dataset.info, cfg.load_name)
        recipe = checkpoint.get("recipe")
        if recipe:
            model = graph_from_recipe(recipe, where=f"the recipe in '{cfg.load_name}'").model
        load_weights(model, weights_of(checkpoint, cfg.load_type, cfg.load_name), cfg.load_name)
        log.info("Loaded weights from '%s'.", cfg.load_name)
    return Prepared(model_name, dataset, model, checkpoint, recipe)


def saved_token_len(cfg: RunConfig, checkpoint: dict | None) -> int | None:
    """`--max-token-len`, or when not given and the run loads a text model trained on this
    dataset, the length it was trained on (a model trained on 64 tokens is tested on 64)."""
    if cfg.max_token_len is not None or not cfg.load_name or not DATASETS.get(cfg.dataset).info.is_text:
        return cfg.max_token_len
    if cfg.load_type == "mg":
        from chop.ir.serialize import read_recipe

        saved = read_recipe(cfg.load_name).get("dataset_info")
    else:
        saved = checkpoint.get("dataset_info") if isinstance(checkpoint, dict) else None
    if saved is None:
        return None
    info = DatasetInfo.from_saved(saved, cfg.load_name)
    if info.name == cfg.dataset and info.is_text and len(info.input_shape) == 1:
        log.info("Using the checkpoint's %d tokens per text (--max-token-len to change it).", info.input_shape[0])
        return info.input_shape[0]
    return None


def _hf_classifier(cfg: RunConfig, dataset: Dataset) -> nn.Module:
    """`--load-type hf`: the model and its weights from a Hugging Face checkpoint (a directory, or
    a hub name from the cache or the hub), with a head for the dataset's classes."""
    from chop.errors import ConfigError
    from chop.models.hf import load_pretrained_classifier

    if not dataset.info.is_text:
        raise ConfigError(f"--load-type hf loads a Hugging Face text classifier, but dataset '{dataset.info.name}' "
                          f"is not text; use a text dataset (tweets, bbc-news, text-file, ...).")
    model = load_pretrained_classifier(cfg.load_name, dataset.info.num_classes)
    log.info("Loaded Hugging Face checkpoint '%s' (%s).", cfg.load_name, type(model).__name__)
    return model


def _prepare_graph(cfg: RunConfig, model_name: str, dataset: Dataset) -> Prepared:
    mg = MaseGraph.load(cfg.load_name)
    recipe = mg.recipe()
    check_fits({"model_name": recipe.get("model"), "dataset_info": recipe.get("dataset_info")},
               model_name, dataset.info, cfg.load_name)
    log.info("Loaded transformed graph from '%s' (passes: %s).", cfg.load_name,
             ", ".join(name for name, _ in recipe["passes"]) or "none")
    return Prepared(model_name, dataset, mg.model, None, recipe)

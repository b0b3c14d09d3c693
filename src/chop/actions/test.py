"""`ch test`: evaluate a trained checkpoint on the test split and save the metrics as JSON."""

from __future__ import annotations

import dataclasses
import json

from chop import atomic
from chop.actions.common import log, prepare, project_of_checkpoint, require
from chop.config import RunConfig
from chop.dataset import DatasetInfo
from chop.engine.batches import TensorBatches
from chop.engine.checkpoint import read_checkpoint
from chop.engine.runtime import make_fabric
from chop.engine.epoch import eval_batch_size
from chop.engine.trainer import evaluate, to_device
from chop.models import saved_model_name


def _saved(cfg: RunConfig) -> tuple[dict | None, dict]:
    """The checkpoint (None for a transformed graph), and what the artefact says it holds."""
    if cfg.load_type == "mg":  # a ch transform output: its recipe names the model and dataset
        from chop.ir.serialize import read_recipe

        recipe = read_recipe(cfg.load_name)
        return None, {"model_name": recipe.get("model"), "dataset_info": recipe.get("dataset_info")}
    if cfg.load_type == "hf":  # a Hugging Face checkpoint names neither: the command line does
        return None, {}
    ckpt = read_checkpoint(cfg.load_name)
    return ckpt, ckpt


def test(cfg: RunConfig) -> dict:
    require(cfg, "test", "load_name")
    ckpt, saved = _saved(cfg)
    # A checkpoint of ours knows its model and dataset; the command line may leave them out.
    fill = {}
    # A name read from the file only names a registered model: it never imports a file.
    if not cfg.model and saved.get("model_name") is not None:
        fill["model"] = saved_model_name(saved["model_name"], cfg.load_name)
    if not cfg.dataset and saved.get("dataset_info") is not None:
        fill["dataset"] = DatasetInfo.from_saved(saved["dataset_info"], cfg.load_name).name
    cfg = dataclasses.replace(cfg, **fill)
    require(cfg, "test", "model", "dataset")
    prepared = prepare(cfg, checkpoint=ckpt)
    fabric = make_fabric(dataclasses.replace(cfg, num_devices=1, num_nodes=1, strategy="auto"))
    model = fabric.setup_module(prepared.model)
    test = prepared.dataset.test
    batches = TensorBatches(to_device(fabric, test), max(cfg.batch_size, eval_batch_size(test)))
    metrics = evaluate(fabric, model, batches)
    result = {
        "model": prepared.model_name,
        "dataset": cfg.dataset,
        "checkpoint": str(cfg.load_name),
        "load_type": cfg.load_type,
        "test_acc": metrics["acc"],
        "test_loss": metrics["loss"],
        "test_samples": metrics["samples"],
    }
    project = project_of_checkpoint(cfg.load_name) if not cfg.project else None
    out_dir = (project / "software") if project else cfg.software_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "test_metrics.json"
    atomic.write_text(out, json.dumps(result, indent=2))
    result["metrics_file"] = str(out)
    log.info("Test metrics written to %s", out)
    return result
